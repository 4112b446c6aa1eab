"""What deleting a LogDetector must do beyond garbage collection of its owned children."""

from __future__ import annotations

import logging
from typing import Any

from logad.detectors.registry import detector_capabilities
from logad_operator.knowledge_base import drop_tenant_rows
from logad_operator.kube import Kube
from logad_operator.resources import INFERENCE_SERVICES, LABEL_UID, Owner, owned_by
from logad_operator.settings import OperatorSettings
from logad_operator.spec import service_name


def finalize(body: Any, kube: Kube, settings: OperatorSettings, logger: logging.Logger) -> None:
    """Delete the InferenceService this LogDetector managed without owning it (one that existed before it), and
    drop the tenant's knowledge-base rows when its detector keeps a knowledge base and a Milvus URI is configured."""
    owner = Owner.from_body(body)
    spec = body.get("spec") or {}
    tenant, detector = spec.get("tenant"), spec.get("detector")
    if not tenant or not detector:
        return
    name = service_name(tenant, detector)
    service = kube.get(INFERENCE_SERVICES, owner.namespace, name)
    if service is not None and _managed_unowned(service, owner):
        kube.delete(INFERENCE_SERVICES, owner.namespace, name)
        logger.info(f"Deleted InferenceService {name} (not owned, so not garbage-collected).")
    if not detector_capabilities(detector).knowledge_base:
        return
    if not settings.milvus_uri:
        logger.info("LOGAD_MILVUS_URI is not set: the tenant's knowledge-base rows are left in place.")
        return
    removed = drop_tenant_rows(settings.milvus_uri, detector, tenant, settings.milvus_token)
    logger.info(f"Dropped tenant {tenant}'s knowledge-base rows: {removed or f'no {detector} collections'}.")


def _managed_unowned(service: dict[str, Any], owner: Owner) -> bool:
    labels = service["metadata"].get("labels") or {}
    return labels.get(LABEL_UID) == owner.uid and not owned_by(service, owner.uid)
