"""The tenant's KServe InferenceService: a logad predictor and a logad transformer over the same model folder.

The predictor uses KServe's ``model`` form (``modelFormat: logad`` served by the ServingRuntime named in the
settings, whose container is overridden here) because the pipeline's roll-out step patches
``spec.predictor.model.storageUri``. The transformer is a custom container: KServe mounts its model from the
``STORAGE_URI`` variable, which the operator keeps equal to the predictor's ``storageUri`` (so after a roll-out
the transformer follows). Pods run as in the chart: user 10001, read-only root, ``/tmp`` an emptyDir.
"""

from __future__ import annotations

from typing import Any

from logad_operator.compare import without_none
from logad_operator.layout import state_subpath
from logad_operator.resources import INFERENCE_SERVICES, Owner
from logad_operator.settings import OperatorSettings
from logad_operator.spec import LogDetectorSpec

PORT = 8080
MODEL_DIR = "/mnt/models"
STATE_DIR = "/var/lib/logad/state"
MODEL_FORMAT = "logad"
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
    owner: Owner, spec: LogDetectorSpec, settings: OperatorSettings, storage_uri: str
) -> dict[str, Any]:
    """The InferenceService serving ``storage_uri``, owned by the LogDetector."""
    return {
        "apiVersion": INFERENCE_SERVICES.api_version,
        "kind": INFERENCE_SERVICES.kind,
        "metadata": {
            "name": spec.service_name,
            "namespace": owner.namespace,
            "labels": owner.labels(spec.tenant, spec.detector),
            "ownerReferences": [owner.reference()],
        },
        "spec": without_none(inference_service_spec(owner, spec, settings, storage_uri)),
    }


def inference_service_spec(
    owner: Owner, spec: LogDetectorSpec, settings: OperatorSettings, storage_uri: str
) -> dict[str, Any]:
    """The ``spec`` of the InferenceService: what the operator keeps in line with the LogDetector (as a merge
    patch: ``None`` removes a field an earlier setting added).

    SQLite state (no state Secret) lives on the data volume and keeps the transformer at one replica, replaced
    with ``Recreate``; a state URL (Redis) lets it scale like the predictor. That URL may hold a password, so the
    transformer reads it from the Secret into ``LOGAD_STATE_URL`` and its ``--state`` argument is
    ``$(LOGAD_STATE_URL)``, which Kubernetes expands: no secret value is ever written into the InferenceService.
    """
    name, replicas, sqlite = spec.service_name, spec.serving.replicas, settings.state_secret is None
    state = f"{STATE_DIR}/tenants.db" if sqlite else f"$({STATE_URL_ENV})"
    transformer_args = ["--predictor-protocol", spec.serving.protocol, "--state", state]
    if spec.serving.threshold:
        transformer_args += ["--threshold", spec.serving.threshold]
    transformer_env: list[dict[str, Any]] = [{"name": "STORAGE_URI", "value": storage_uri}]
    if settings.state_secret is not None:
        transformer_env.append(settings.state_secret.env_var(STATE_URL_ENV))
    transformer_env += _knowledge_base_env(spec, settings)
    transformer = {
        "name": "kserve-container",
        **_server("transformer", name, settings, transformer_args, transformer_env),
    }
    volumes = [{"name": "tmp", "emptyDir": {}}]
    if sqlite:
        transformer["volumeMounts"].append(
            {"name": "state", "mountPath": STATE_DIR, "subPath": state_subpath(owner.namespace, name)}
        )
        volumes.append({"name": "state", "persistentVolumeClaim": {"claimName": settings.data_claim}})
    return {
        "predictor": {
            **_pod(replicas, [{"name": "tmp", "emptyDir": {}}]),
            "model": {
                "modelFormat": {"name": MODEL_FORMAT},
                "runtime": settings.serving_runtime,
                "protocolVersion": spec.serving.protocol,
                "storageUri": storage_uri,
                **_server("predictor", name, settings, [], _knowledge_base_env(spec, settings)),
            },
        },
        "transformer": {
            **_pod(1 if sqlite else replicas, volumes),
            "deploymentStrategy": {"type": "Recreate"} if sqlite else None,
            "containers": [transformer],
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


def _knowledge_base_env(spec: LogDetectorSpec, settings: OperatorSettings) -> list[dict[str, Any]]:
    """LogSentry's servers open their knowledge base at the cluster's Milvus when one is configured: the URI as a
    value, the token only by reference to its Secret."""
    if spec.detector != "logsentry":
        return []
    env: list[dict[str, Any]] = []
    if settings.milvus_uri:
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


def _server(
    role: str, name: str, settings: OperatorSettings, extra_args: list[str], env: list[dict[str, Any]]
) -> dict[str, Any]:
    """Container fields of one `python -m logad_serving ROLE` server listening on all interfaces."""
    args = [role, "--model", MODEL_DIR, "--name", name, "--host", "0.0.0.0", "--port", str(PORT), *extra_args]
    return {
        "image": settings.serving_image,
        "command": ["python", "-m", "logad_serving"],
        "args": args,
        "env": [*env, {"name": "HOME", "value": "/tmp"}],
        "ports": [{"name": "http1", "containerPort": PORT, "protocol": "TCP"}],
        # The server listens only once the model is loaded (minutes for an LLM): liveness waits for startup.
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
