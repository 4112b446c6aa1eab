"""Operator settings from the environment (the Helm chart sets them on the operator's Deployment)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class OperatorSettings:
    """How children are built and where the operator's external services are.

    ``data_claim`` / ``data_mount``: the shared ReadWriteMany volume and where the pipeline's pods mount it (the
    pipeline's ``ClusterSettings.volume_claim`` / ``mount_path``: its roll-out step derives the model's
    ``pvc://`` URI from them). ``operator_data_dir``: where this operator mounts the same volume, needed only to
    hand ``spec.training.config`` to the pipeline as a file. ``state_url``: the transformers' state store (Redis
    for replicas on several nodes); empty means SQLite on the data volume. ``milvus_uri``: the knowledge base whose
    tenant rows are dropped when a LogSentry LogDetector is deleted; empty skips that.
    """

    serving_image: str = "ghcr.io/logad/server:0.1.0"
    serving_runtime: str = "logad"
    data_claim: str = "logad-data"
    data_mount: str = "/data"
    operator_data_dir: str = ""
    state_url: str = ""
    milvus_uri: str = ""
    milvus_token: str = ""
    reconcile_interval: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> OperatorSettings:
        defaults = cls()
        interval = env.get("LOGAD_RECONCILE_INTERVAL", "")
        return cls(
            serving_image=env.get("LOGAD_SERVING_IMAGE", defaults.serving_image),
            serving_runtime=env.get("LOGAD_SERVING_RUNTIME", defaults.serving_runtime),
            data_claim=env.get("LOGAD_DATA_CLAIM", defaults.data_claim),
            data_mount=env.get("LOGAD_DATA_MOUNT", defaults.data_mount).rstrip("/"),
            operator_data_dir=env.get("LOGAD_OPERATOR_DATA_DIR", ""),
            state_url=env.get("LOGAD_STATE_URL", ""),
            milvus_uri=env.get("LOGAD_MILVUS_URI", ""),
            milvus_token=env.get("LOGAD_MILVUS_TOKEN", ""),
            reconcile_interval=float(interval) if interval else defaults.reconcile_interval,
        )
