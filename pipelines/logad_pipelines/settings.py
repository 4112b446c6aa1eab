"""Cluster-side settings of the rendered workflows (image, volume, security, scale, placement), loadable from a
values file. The Helm chart exposes the same knobs (camelCase, under ``images.trainer`` and ``pipeline``) and sets
them on the rendered templates; the defaults here are the chart's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from logad.config import config_from_dict, config_to_dict, merge_nested, require_positive
from logad.detectors.registry import available_detectors
from logad.errors import ConfigError


def _step_resources() -> dict[str, dict[str, str]]:
    # evaluate and knowledge-base load the model: room for a CPU LogSentry or LogLLM (small presets).
    return {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "8Gi"}}


def _training_resources() -> dict[str, dict[str, str]]:
    # LogLLM's cpu preset peaks at ~13.5 GiB resident (docs/benchmarks.md, logllm-memory): the limit leaves room for it.
    return {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"memory": "16Gi"}}


@dataclass
class TrainingSettings:
    """How a detector's training steps run: ``nodes`` x ``processes_per_node`` processes (``None``: one per GPU,
    one without GPUs), ``gpus`` NVIDIA GPUs per node (``nvidia.com/gpu``), resources per node, a memory-backed
    ``/dev/shm`` of ``shm_size`` (NCCL and DataLoader workers need more than the runtime's 64 MiB; empty: none), and
    where the pods go (``runtime_class`` such as ``nvidia``, ``priority_class``, node selector, tolerations,
    affinity). Other steps (prepare, evaluate, register, knowledge base) need no GPU and keep the defaults."""

    nodes: int = 1
    processes_per_node: int | None = None
    gpus: int = 0
    resources: dict[str, dict[str, str]] = field(default_factory=_training_resources)
    shm_size: str = ""
    runtime_class: str = ""
    priority_class: str = ""
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    affinity: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_positive(self, ("nodes",))
        if self.processes_per_node is not None and self.processes_per_node < 1:
            raise ValueError("processes_per_node must be >= 1 (or null: one per GPU)")
        if self.gpus < 0:
            raise ValueError("gpus must be >= 0")

    @property
    def processes(self) -> int:
        return self.processes_per_node or max(self.gpus, 1)


@dataclass
class ClusterSettings:
    """Where and how the pipeline's pods run.

    ``volume_claim`` is a ReadWriteMany PVC mounted at ``mount_path`` in every step: prepared data, stage
    checkpoints, artifacts, the model registry and converted LLM checkpoints (``LOGAD_CACHE``) live there. Every pod
    runs as ``run_as_user`` under PodSecurity ``restricted``; ``executor_security_patch`` also patches Argo's own
    ``init`` and ``wait`` containers to comply (turn it off when the workflow-controller ConfigMap sets
    ``executor.securityContext``, or with Argo's init-less pods, which have neither container). ``training`` sets
    every detector's training steps, ``detectors`` overrides it per detector (partial sections, as in the chart's
    ``pipeline.detectors``). One node runs ``torchrun --standalone`` in the step's own pod; several nodes run as a
    Kubeflow Trainer ``TrainJob`` on the ``TrainingRuntime`` ``<runtime>-<detector>`` rendered beside the template.
    ``retries`` apply to infrastructure faults only (evicted or lost pods, node failures), never to a failed
    quality gate or bad input; ``active_deadline_seconds`` bounds a whole run, and ``pod_gc`` removes finished pods.
    With ``milvus_uri`` the steps that open a knowledge base build it in that Milvus server (the token from the
    Secret ``milvus_token_secret``), where the predictors look for it.
    """

    image: str = "logad/trainer:0.1.0"
    image_pull_policy: str = "IfNotPresent"
    image_pull_secrets: list[str] = field(default_factory=list)
    service_account: str = "logad-pipeline"
    volume_claim: str = "logad-data"
    mount_path: str = "/data"
    run_as_user: int = 10001
    run_as_group: int = 10001
    fs_group: int = 10001
    executor_security_patch: bool = True
    step_resources: dict[str, dict[str, str]] = field(default_factory=_step_resources)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    detectors: dict[str, dict[str, Any]] = field(default_factory=dict)
    runtime: str = "logad-torch"
    retries: int = 2
    active_deadline_seconds: int = 86400
    pod_gc: str = "OnPodSuccess"
    inference_service_prefix: str = "logad"
    milvus_uri: str = ""
    milvus_token_secret: str = ""
    milvus_token_key: str = "token"

    def __post_init__(self) -> None:
        require_positive(self, ("run_as_user", "run_as_group", "fs_group", "active_deadline_seconds"))
        if self.retries < 0:
            raise ValueError("retries must be >= 0")
        if self.pod_gc not in POD_GC_STRATEGIES:
            raise ValueError(f"pod_gc must be one of {', '.join(POD_GC_STRATEGIES)}")
        unknown = sorted(set(self.detectors) - set(available_detectors()))
        if unknown:
            raise ValueError(f"detectors: unknown detector(s) {', '.join(unknown)}")
        for detector in self.detectors:
            self.training_for(detector)  # a bad override fails here, naming the detector

    def training_for(self, detector: str, gpus: bool = True) -> TrainingSettings:
        """``training`` with ``detectors[detector]`` merged over it; without GPUs where the step cannot use them
        (``gpus`` False: a stage its detector declares CPU-only)."""
        overrides = self.detectors.get(detector) or {}
        try:
            merged = config_from_dict(
                TrainingSettings, merge_nested(config_to_dict(self.training), overrides), f"detectors.{detector}"
            )
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return merged if gpus else replace(merged, gpus=0)


# Argo's PodGC strategies (argoproj.io/v1alpha1 PodGC.strategy).
POD_GC_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess")
