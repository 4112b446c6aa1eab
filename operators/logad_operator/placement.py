"""What a LogDetector's pods get and where they run: ``resources`` (requests and limits, GPUs as ``nvidia.com/gpu``)
and scheduling (nodeSelector, tolerations, affinity, runtimeClassName, priorityClassName), in the Kubernetes
field names KServe's components take as they are (following vllm-project/production-stack's per-model
``resources``, ``runtimeClassName``, ``priorityClassName``, ``tolerations`` and ``affinity``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GPU = "nvidia.com/gpu"


@dataclass(frozen=True)
class Resources:
    """A container's requests and limits (quantities as strings)."""

    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)

    @property
    def gpus(self) -> int:
        """NVIDIA GPUs asked for (Kubernetes takes extended resources as whole numbers, the limit if given)."""
        return int(self.limits.get(GPU) or self.requests.get(GPU) or 0)

    def manifest(self) -> dict[str, Any] | None:
        """The container's ``resources`` field; ``None`` (nothing set) when both are empty."""
        fields = {"requests": dict(self.requests), "limits": dict(self.limits)}
        return {name: values for name, values in fields.items() if values} or None


@dataclass(frozen=True)
class Scheduling:
    """Pod fields that place a component on nodes (a KServe component takes them beside its containers)."""

    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    affinity: dict[str, Any] | None = None
    runtime_class_name: str = ""
    priority_class_name: str = ""

    def pod_fields(self) -> dict[str, Any]:
        """The pod fields, ``None`` for each one unset (a merge patch then removes what an earlier spec set)."""
        return {
            "nodeSelector": dict(self.node_selector) or None,
            "tolerations": [dict(t) for t in self.tolerations] or None,
            "affinity": self.affinity or None,
            "runtimeClassName": self.runtime_class_name or None,
            "priorityClassName": self.priority_class_name or None,
        }
