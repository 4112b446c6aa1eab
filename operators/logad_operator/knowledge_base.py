"""Clean-up of a tenant's knowledge-base rows (every model version's collection of one detector) through `logad.kb`."""

from __future__ import annotations


def drop_tenant_rows(uri: str, detector: str, tenant: str, token: str = "") -> dict[str, int]:
    """Delete ``tenant``'s rows from every collection of ``detector`` at ``uri``; returns rows removed per
    collection."""
    from logad.kb import KBConfig, KnowledgeBase, collection_name, list_collections  # pymilvus: imported on use

    config = KBConfig(uri=uri, token=token)
    removed = {}
    for entry in list_collections(config):
        if entry["name"] != collection_name(detector, entry["model_version"]):
            continue  # another detector's knowledge base
        with KnowledgeBase.open(config, entry["name"], entry["model_version"]) as kb:
            removed[entry["name"]] = kb.drop_tenant(tenant)
    return removed
