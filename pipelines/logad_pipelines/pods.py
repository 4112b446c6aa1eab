"""The Kubernetes pieces every pipeline pod is made of, as plain API dicts: security contexts, volumes, environment,
resources and placement. Argo container steps and the Kubeflow Trainer runtime of multi-node steps are built from
the same pieces, so both pass PodSecurity ``restricted`` and see the same volume and variables.

``restricted`` (kubernetes.io/docs/concepts/security/pod-security-standards): non-root, RuntimeDefault seccomp, no
privilege escalation, every capability dropped, only PVC / emptyDir / Secret-like volumes. The root filesystem is
read-only besides: ``HOME`` and the torch/triton caches live on an emptyDir at /tmp, converted LLM checkpoints
(``LOGAD_CACHE``) on the shared volume, where every step and run finds them.
"""

from __future__ import annotations

import json
from typing import Any

from logad_pipelines.settings import ClusterSettings, TrainingSettings

DATA, TMP, SHM = "data", "tmp", "shm"
# The variables logad.detectors.logsentry.knowledge reads (importing it here would load pymilvus and torch).
MILVUS_URI_ENV, MILVUS_TOKEN_ENV = "LOGAD_MILVUS_URI", "LOGAD_MILVUS_TOKEN"
GPU = "nvidia.com/gpu"
# torchrun reads its options from PET_<OPTION> variables; Kubeflow Trainer sets the others for multi-node jobs.
PROCESSES_ENV = "PET_NPROC_PER_NODE"
# Pod labels (Argo template metadata) that say what a step does; the Helm chart finds its steps by them.
LABEL_STEP = "logad.io/step"
LABEL_TRAINING = "logad.io/training"
LABEL_KNOWLEDGE_BASE = "logad.io/knowledge-base"
LABEL_GPUS = "logad.io/gpus"  # a training step that can use the GPUs its detector's training settings give
# Argo's own containers in a container step's pod (legacy, non init-less layout): `init` copies argoexec, `wait`
# reports the outputs. Their security context comes from the workflow-controller ConfigMap (`executor`), unless a
# podSpecPatch, applied after Argo adds them, sets it.
EXECUTOR_INIT, EXECUTOR_WAIT = "init", "wait"
# Argo names a container step's own container "main" (common.MainContainerName).
MAIN = "main"


def pod_security(settings: ClusterSettings) -> dict[str, Any]:
    """The pod-level securityContext: a fixed non-root user (the images' 10001) and RuntimeDefault seccomp."""
    return {
        "runAsNonRoot": True,
        "runAsUser": settings.run_as_user,
        "runAsGroup": settings.run_as_group,
        "fsGroup": settings.fs_group,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security(read_only_root: bool = True) -> dict[str, Any]:
    """The container-level securityContext of ``restricted``, with a read-only root filesystem by default."""
    context: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if read_only_root:
        context["readOnlyRootFilesystem"] = True
    return context


def pod_volumes(settings: ClusterSettings) -> list[dict[str, Any]]:
    """The shared data claim and the scratch emptyDir that every pipeline pod mounts."""
    claim = {"claimName": settings.volume_claim}
    return [{"name": DATA, "persistentVolumeClaim": claim}, {"name": TMP, "emptyDir": {}}]


def shm_volumes(training: TrainingSettings) -> list[dict[str, Any]]:
    """A memory-backed /dev/shm of ``shm_size`` (none when unset)."""
    if not training.shm_size:
        return []
    return [{"name": SHM, "emptyDir": {"medium": "Memory", "sizeLimit": training.shm_size}}]


def volume_mounts(settings: ClusterSettings, training: TrainingSettings | None = None) -> list[dict[str, Any]]:
    mounts = [{"name": DATA, "mountPath": settings.mount_path}, {"name": TMP, "mountPath": "/tmp"}]
    if training and training.shm_size:
        mounts.append({"name": SHM, "mountPath": "/dev/shm"})
    return mounts


def environment(settings: ClusterSettings, knowledge_base: bool) -> list[dict[str, Any]]:
    """Writable homes for the libraries' caches, and the Milvus server for steps that open a knowledge base (the
    token only by reference to its Secret)."""
    env = [
        {"name": "HOME", "value": "/tmp"},
        {"name": "TORCH_EXTENSIONS_DIR", "value": "/tmp/torch_extensions"},
        {"name": "LOGAD_CACHE", "value": f"{settings.mount_path}/cache"},
    ]
    if knowledge_base and settings.milvus_uri:
        env.append({"name": MILVUS_URI_ENV, "value": settings.milvus_uri})
        if settings.milvus_token_secret:
            secret = {"name": settings.milvus_token_secret, "key": settings.milvus_token_key}
            env.append({"name": MILVUS_TOKEN_ENV, "valueFrom": {"secretKeyRef": secret}})
    return env


def resources(requirements: dict[str, dict[str, str]], gpus: int = 0) -> dict[str, dict[str, str]]:
    """``requirements`` with ``gpus`` NVIDIA GPUs as a limit (the device plugin's extended resource)."""
    result = {kind: dict(values) for kind, values in requirements.items()}
    if gpus:
        result.setdefault("limits", {})[GPU] = str(gpus)
    return result


def placement(training: TrainingSettings) -> dict[str, Any]:
    """Pod spec fields that place training pods (GPU nodes, their taints, priority, the container runtime); empty
    ones left out. Argo templates have no ``runtimeClassName``: container steps get it from ``pod_spec_patch``."""
    fields = {
        "nodeSelector": training.node_selector,
        "tolerations": training.tolerations,
        "affinity": training.affinity,
        "priorityClassName": training.priority_class,
        "runtimeClassName": training.runtime_class,
    }
    return {name: value for name, value in fields.items() if value}


def pod_spec_patch(
    settings: ClusterSettings, training: TrainingSettings | None = None, run_resources: str = ""
) -> str | None:
    """The strategic-merge patch Argo applies to a container step's pod last: Argo's ``init`` and ``wait``
    containers made ``restricted`` (they keep a writable root: Argo writes there, argo-workflows#10787), the
    training steps' ``runtimeClassName``, which Argo templates have no field for, and ``run_resources``: a tag such
    as ``{{workflow.parameters.training_resources}}`` standing for the ``main`` container's resources. Argo
    substitutes the tag inside this JSON string before parsing it (tests/k8s_rules/argo.py), so a run's JSON
    object becomes the resources merged over the template's; the tag is written bare, not as a JSON string."""
    patch: dict[str, Any] = {}
    containers: list[dict[str, Any]] = []
    if settings.executor_security_patch:
        executor = container_security(read_only_root=False)
        patch["initContainers"] = [{"name": EXECUTOR_INIT, "securityContext": executor}]
        containers.append({"name": EXECUTOR_WAIT, "securityContext": executor})
    if run_resources:
        containers.append({"name": MAIN, "resources": run_resources})
    if containers:
        patch["containers"] = containers
    if training and training.runtime_class:
        patch["runtimeClassName"] = training.runtime_class
    if not patch:
        return None
    # Sorted, compact JSON: what Helm's toJson writes when the chart changes it.
    text = json.dumps(patch, sort_keys=True, separators=(",", ":"))
    return text.replace(json.dumps(run_resources), run_resources) if run_resources else text
