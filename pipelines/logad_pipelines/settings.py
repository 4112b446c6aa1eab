"""Cluster-side settings of the rendered workflows (image, volume, scale, placement), loadable from a values file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from logad.config import require_positive


@dataclass
class ClusterSettings:
    """Where and how the pipeline's pods run.

    ``volume_claim`` is a ReadWriteMany PVC mounted at ``mount_path`` in every step: prepared data, stage
    checkpoints, artifacts and the model registry live there (the pipeline's artifact store). Training steps use
    ``nodes`` x ``processes_per_node`` processes: one node runs ``torchrun --standalone`` in the step's own pod;
    several nodes run as a Kubeflow Trainer ``TrainJob`` (its ``runtime`` sets MASTER_ADDR / NODE_RANK and the
    headless service) that the step creates and waits for. ``retries`` apply to infrastructure faults only
    (evicted or lost pods, node failures), never to a failed quality gate or bad input.
    """

    image: str = "ghcr.io/logad/trainer:0.1.0"
    image_pull_policy: str = "IfNotPresent"
    service_account: str = "logad-pipeline"
    volume_claim: str = "logad-data"
    mount_path: str = "/data"
    nodes: int = 1
    processes_per_node: int = 1
    gpus_per_node: int = 0
    cpu: str = "2"
    memory: str = "8Gi"
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    runtime: str = "torch-distributed"
    retries: int = 2
    inference_service_prefix: str = "logad"

    def __post_init__(self) -> None:
        require_positive(self, ("nodes", "processes_per_node"))
        if self.gpus_per_node < 0 or self.retries < 0:
            raise ValueError("gpus_per_node and retries must be >= 0")
