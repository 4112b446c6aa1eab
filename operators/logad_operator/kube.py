"""A small facade over the Kubernetes client for the custom objects the operator reads and writes."""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from logad_operator.resources import Kind


class Kube:
    """Namespaced custom objects as plain dicts; a missing object is None, not an error.

    The client uses the default configuration, which kopf's login (in-cluster or kubeconfig) has loaded.
    """

    def __init__(self, api: client.CustomObjectsApi | None = None) -> None:
        self.api = api or client.CustomObjectsApi()

    def get(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self.api.get_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def list(self, kind: Kind, namespace: str, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Objects carrying all ``labels`` (checked here too, not only by the server's selector)."""
        selector = ",".join(f"{key}={value}" for key, value in labels.items())
        result = self.api.list_namespaced_custom_object(
            kind.group, kind.version, namespace, kind.plural, label_selector=selector
        )
        items = result.get("items") or []
        return [obj for obj in items if labels.items() <= (obj["metadata"].get("labels") or {}).items()]

    def create(self, kind: Kind, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.api.create_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, body)

    def patch(self, kind: Kind, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """A JSON merge patch (``None`` deletes a key; lists are replaced)."""
        return self.api.patch_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, name, body)

    def delete(self, kind: Kind, namespace: str, name: str) -> None:
        try:
            self.api.delete_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, name)
        except ApiException as exc:
            if exc.status != 404:
                raise
