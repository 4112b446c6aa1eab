"""The tenant's KServe InferenceService: a logad predictor and a logad transformer over the same model folder.

The predictor uses KServe's ``model`` form (``modelFormat: logad``, served by the ServingRuntime named in the
settings) because the pipeline's roll-out step patches ``spec.predictor.model.storageUri``. The runtime's container
runs the server (``python -m logad_serving predictor --model /mnt/models --name {{.Name}} ...``); KServe
strategic-merges the model's container fields onto it and *appends* the model's args to the runtime's
(``MergeRuntimeContainers``), so the model carries no command or args: only what differs per LogDetector (env,
resources, probes, the GPU image). The transformer is a custom container: KServe appends ``--model_name``,
``--predictor_host`` and ``--http_port`` to its args and mounts the model named by its ``STORAGE_URI`` variable,
which is kept equal to the predictor's ``storageUri`` and comes first in its env (so that one JSON patch can move
both). Pods run as in the chart: user 10001, read-only root, ``/tmp`` an emptyDir.
"""

from __future__ import annotations

from typing import Any

from logad.detectors.registry import detector_capabilities
from logad_operator.compare import without_none
from logad_operator.layout import state_subpath
from logad_operator.placement import Resources
from logad_operator.resources import INFERENCE_SERVICES, Owner
from logad_operator.settings import OperatorSettings
from logad_operator.spec import LogDetectorSpec

PORT = 8080
MODEL_DIR = "/mnt/models"
STATE_DIR = "/var/lib/logad/state"
MODEL_FORMAT = "logad"
# KServe adds prometheus.io scrape annotations to the pods of an InferenceService carrying this one.
PROMETHEUS_SCRAPING = "serving.kserve.io/enable-prometheus-scraping"
STATE_URL_ENV = "LOGAD_STATE_URL"
MILVUS_URI_ENV = "LOGAD_MILVUS_URI"
MILVUS_TOKEN_ENV = "LOGAD_MILVUS_TOKEN"
USER = 10001
POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": USER,
    "runAsGroup": USER,
    "fsGroup": USER,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def build_inference_service(
    owner: Owner,
    spec: LogDetectorSpec,
    settings: OperatorSettings,
    storage_uri: str,
    annotations: dict[str, str | None],
) -> dict[str, Any]:
    """The InferenceService serving ``storage_uri``, owned by the LogDetector, with ``annotations`` and the ones
    the settings ask for (:func:`service_annotations`)."""
    return {
        "apiVersion": INFERENCE_SERVICES.api_version,
        "kind": INFERENCE_SERVICES.kind,
        "metadata": {
            "name": spec.service_name,
            "namespace": owner.namespace,
            "labels": owner.labels(spec.tenant, spec.detector),
            "annotations": without_none({**service_annotations(settings), **annotations}),
            "ownerReferences": [owner.reference()],
        },
        "spec": without_none(inference_service_spec(owner, spec, settings, storage_uri)),
    }


def service_annotations(settings: OperatorSettings) -> dict[str, str]:
    """Annotations every InferenceService of the operator carries: KServe's Prometheus scraping switch, when on."""
    return {PROMETHEUS_SCRAPING: "true"} if settings.prometheus_scraping else {}


def inference_service_spec(
    owner: Owner, spec: LogDetectorSpec, settings: OperatorSettings, storage_uri: str
) -> dict[str, Any]:
    """The ``spec`` of the InferenceService: what the operator keeps in line with the LogDetector (as a merge
    patch: ``None`` removes a field an earlier spec added).

    SQLite state (no state Secret) lives on the data volume and keeps the transformer at one replica, replaced
    with ``Recreate``; a state URL (Redis) lets it scale like the predictor. That URL may hold a password, so the
    transformer reads it from the Secret into ``LOGAD_STATE_URL`` and its ``--state`` argument is
    ``$(LOGAD_STATE_URL)``, which Kubernetes expands: no secret value is ever written into the InferenceService.
    """
    name, serving, sqlite = spec.service_name, spec.serving, settings.state_secret is None
    state = f"{STATE_DIR}/tenants.db" if sqlite else f"$({STATE_URL_ENV})"
    args = ["transformer", "--model", MODEL_DIR, "--name", name, "--host", "0.0.0.0", "--port", str(PORT)]
    args += ["--predictor-protocol", serving.protocol, "--state", state]
    if serving.threshold:
        args += ["--threshold", serving.threshold]
    args += ["--otlp-tenant-attribute", settings.otlp_tenant_attribute]
    if settings.session_idle_wall_seconds > 0:
        args += ["--session-idle-wall-seconds", f"{settings.session_idle_wall_seconds:g}"]
    args += ["--alert-webhook", settings.alert_webhook] if settings.alert_webhook else []
    transformer_env: list[dict[str, Any]] = [{"name": "STORAGE_URI", "value": storage_uri}]
    if settings.state_secret is not None:
        transformer_env.append(settings.state_secret.env_var(STATE_URL_ENV))
    transformer = {
        "name": "kserve-container",
        "image": settings.serving_image,
        "command": ["python", "-m", "logad_serving"],
        "args": args,
        "ports": [{"name": "http1", "containerPort": PORT, "protocol": "TCP"}],
        **_container(name, transformer_env, serving.transformer_resources),
    }
    volumes = [{"name": "tmp", "emptyDir": {}}]
    if sqlite:
        transformer["volumeMounts"].append(
            {"name": "state", "mountPath": STATE_DIR, "subPath": state_subpath(owner.namespace, name)}
        )
        volumes.append({"name": "state", "persistentVolumeClaim": {"claimName": settings.data_claim}})
    priority = serving.scheduling.priority_class_name or None
    return {
        "predictor": {
            **_pod(serving.replicas, [{"name": "tmp", "emptyDir": {}}]),
            **serving.scheduling.pod_fields(),
            "model": {
                "modelFormat": {"name": MODEL_FORMAT},
                "runtime": settings.serving_runtime,
                "protocolVersion": serving.protocol,
                "storageUri": storage_uri,
                # The runtime's image is the CPU build; GPUs need the CUDA one.
                "image": settings.serving_gpu_image if serving.resources.gpus else None,
                **_container(name, _knowledge_base_env(spec.detector, settings), serving.resources),
            },
        },
        "transformer": {
            **_pod(1 if sqlite else serving.replicas, volumes),
            "priorityClassName": priority,
            "deploymentStrategy": {"type": "Recreate"} if sqlite else None,
            # A merge patch replaces the list whole: what is unset is left out, never null (KServe's webhook
            # fills in default resources there, which an explicit null would fight on every reconcile).
            "containers": [without_none(transformer)],
        },
    }


def predictor_storage_uri(isvc: dict[str, Any]) -> str:
    """The model the predictor serves (``""`` when unset)."""
    return isvc.get("spec", {}).get("predictor", {}).get("model", {}).get("storageUri") or ""


def endpoint(isvc: dict[str, Any]) -> str:
    """Where clients reach the service: KServe's reported URL, else the in-cluster address."""
    status = isvc.get("status") or {}
    meta = isvc["metadata"]
    return (
        status.get("url")
        or (status.get("address") or {}).get("url")
        or f"http://{meta['name']}.{meta['namespace']}.svc.cluster.local"
    )


def _knowledge_base_env(detector: str, settings: OperatorSettings) -> list[dict[str, Any]]:
    """The cluster's Milvus for the predictor of a detector that keeps a knowledge base (it opens it): the URI as a
    value, the token only by reference to its Secret."""
    env: list[dict[str, Any]] = []
    if settings.milvus_uri and detector_capabilities(detector).knowledge_base:
        env.append({"name": MILVUS_URI_ENV, "value": settings.milvus_uri})
        if settings.milvus_token_secret is not None:
            env.append(settings.milvus_token_secret.env_var(MILVUS_TOKEN_ENV))
    return env


def _pod(replicas: int, volumes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "minReplicas": replicas,
        "maxReplicas": replicas,
        "automountServiceAccountToken": False,
        "securityContext": POD_SECURITY,
        "volumes": volumes,
    }


def _container(name: str, env: list[dict[str, Any]], resources: Resources) -> dict[str, Any]:
    """Container fields both servers share (the server listens only once the model is loaded, minutes for an
    LLM: liveness waits for the startup probe)."""
    return {
        "env": [*env, {"name": "HOME", "value": "/tmp"}],
        "resources": resources.manifest(),
        "startupProbe": _probe("/v2/health/live", period=10, failures=60),
        "livenessProbe": _probe("/v2/health/live", period=15, failures=3),
        "readinessProbe": _probe(f"/v2/models/{name}/ready", period=10, failures=3),
        "securityContext": CONTAINER_SECURITY,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def _probe(path: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": PORT},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }
