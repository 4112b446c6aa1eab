"""Operator settings from the environment (the Helm chart sets them on the operator's Deployment)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SecretRef:
    """A key of a Secret in the LogDetector's namespace: containers read it through ``valueFrom.secretKeyRef``."""

    name: str
    key: str

    @classmethod
    def from_env(cls, env: Mapping[str, str], prefix: str, default_key: str) -> SecretRef | None:
        """``<prefix>_NAME`` / ``<prefix>_KEY`` (the key defaults to ``default_key``); ``None`` without a name."""
        name = env.get(f"{prefix}_NAME", "")
        return cls(name, env.get(f"{prefix}_KEY", "") or default_key) if name else None

    def env_var(self, variable: str) -> dict[str, Any]:
        """The container ``env`` item setting ``variable`` from this key (never the value itself)."""
        return {"name": variable, "valueFrom": {"secretKeyRef": {"name": self.name, "key": self.key}}}


@dataclass(frozen=True)
class OperatorSettings:
    """How children are built and where the operator's external services are.

    ``data_claim`` / ``data_mount``: the shared ReadWriteMany volume and where the pipeline's pods mount it (the
    pipeline's ``ClusterSettings.volume_claim`` / ``mount_path``: its roll-out step derives the model's
    ``pvc://`` URI from them). ``state_secret``: the Secret key holding the transformers' state store URL (Redis
    for replicas on several nodes; it may carry a password, so the operator only ever refers to it); unset means
    SQLite on the data volume. ``milvus_uri``: the knowledge base whose tenant rows are dropped when a LogDetector
    whose detector keeps one is deleted (empty skips that) and which their predictors open; ``milvus_token`` is the
    operator's own token for that clean-up, ``milvus_token_secret`` the Secret key the predictors read theirs from.
    ``serving_gpu_image``: the CUDA build of the server for predictors that ask for GPUs (it replaces the
    ServingRuntime's CPU image); by default the serving image's tag with ``-gpu`` appended, the images' naming
    (images/README.md). ``prometheus_scraping``: annotate InferenceServices so that KServe adds Prometheus scrape
    annotations to their pods, as the chart's (``serving.metrics.prometheusScraping``). ``alert_webhook`` and
    ``otlp_tenant_attribute``: the transformers' ``--alert-webhook`` (empty: none) and ``--otlp-tenant-attribute``,
    as the chart's (``serving.alerts.webhookUrl``, ``serving.otlp.tenantAttribute``); ``session_idle_wall_seconds``
    their ``--session-idle-wall-seconds`` when above 0 (``serving.sessionIdleWallSeconds``).
    """

    serving_image: str = "ghcr.io/logad/server:0.1.0"
    serving_gpu_image: str = "ghcr.io/logad/server:0.1.0-gpu"
    serving_runtime: str = "logad"
    data_claim: str = "logad-data"
    data_mount: str = "/data"
    state_secret: SecretRef | None = None
    milvus_uri: str = ""
    milvus_token: str = ""
    milvus_token_secret: SecretRef | None = None
    reconcile_interval: float = 30.0
    prometheus_scraping: bool = False
    alert_webhook: str = ""
    session_idle_wall_seconds: float = 0.0
    otlp_tenant_attribute: str = "service.namespace"  # the transformer's default (logad_serving.tenancy)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> OperatorSettings:
        defaults = cls()
        interval = env.get("LOGAD_RECONCILE_INTERVAL", "")
        serving_image = env.get("LOGAD_SERVING_IMAGE", defaults.serving_image)
        return cls(
            serving_image=serving_image,
            serving_gpu_image=env.get("LOGAD_SERVING_GPU_IMAGE") or f"{serving_image}-gpu",
            serving_runtime=env.get("LOGAD_SERVING_RUNTIME", defaults.serving_runtime),
            data_claim=env.get("LOGAD_DATA_CLAIM", defaults.data_claim),
            data_mount=env.get("LOGAD_DATA_MOUNT", defaults.data_mount).rstrip("/"),
            state_secret=SecretRef.from_env(env, "LOGAD_STATE_SECRET", default_key="url"),
            milvus_uri=env.get("LOGAD_MILVUS_URI", ""),
            milvus_token=env.get("LOGAD_MILVUS_TOKEN", ""),
            milvus_token_secret=SecretRef.from_env(env, "LOGAD_MILVUS_TOKEN_SECRET", default_key="token"),
            reconcile_interval=float(interval) if interval else defaults.reconcile_interval,
            prometheus_scraping=env.get("LOGAD_PROMETHEUS_SCRAPING", "").lower() == "true",
            alert_webhook=env.get("LOGAD_ALERT_WEBHOOK", ""),
            session_idle_wall_seconds=float(env.get("LOGAD_SESSION_IDLE_WALL_SECONDS") or 0),
            otlp_tenant_attribute=env.get("LOGAD_OTLP_TENANT_ATTRIBUTE") or defaults.otlp_tenant_attribute,
        )
