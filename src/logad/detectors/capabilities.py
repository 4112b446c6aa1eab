"""What a detector declares for the platform, so that pipelines, serving, the CLI and the operator read declarations
instead of branching on detector names.

Each built-in detector package declares ``CAPABILITIES`` in its ``__init__`` (which imports nothing heavy: the
operator's image has no torch) and its class repeats it as ``Detector.capabilities``; ``registry.detector_capabilities``
reads it by name. Whether a detector is supervised may depend on its config: ``Detector.supervised_for``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from logad.data.types import LogSequence
    from logad.kb import KnowledgeBase


@dataclass(frozen=True)
class TrainingStage:
    """One `logad train` step of the training pipeline: its step ``name``, the detector settings it trains with
    (``field=value``, passed as ``--set detector.field=value``) and whether it can use GPUs (a CPU-only stage gets
    none, whatever the cluster's training settings give the detector)."""

    name: str = "train"
    settings: tuple[str, ...] = ()
    gpus: bool = True


@dataclass(frozen=True)
class Capabilities:
    """A detector's pipeline and resources: its training ``stages`` in order (the last one writes the model);
    ``handover``, the config field naming the folder through which each stage resumes the previous one's checkpoint
    (empty: a single stage); ``knowledge_base``, whether its models keep a per-tenant vector knowledge base (built
    in training, read by evaluation and serving, rows dropped with their tenant)."""

    stages: tuple[TrainingStage, ...] = (TrainingStage(),)
    handover: str = ""
    knowledge_base: bool = False

    @property
    def gpus(self) -> bool:
        """Whether any training stage can use GPUs."""
        return any(stage.gpus for stage in self.stages)


@runtime_checkable
class KnowledgeBaseDetector(Protocol):
    """A loaded detector that keeps a per-tenant knowledge base beside its model: `logad kb` builds, inspects and
    drops it through these methods (the detector's ``explain_tenant`` shows the neighbours it votes with)."""

    def knowledge_base_tenant(self) -> str | None:
        """The tenant whose windows training wrote; None when this model keeps no knowledge base."""
        ...

    def knowledge_base(self, create: bool = False) -> KnowledgeBase:
        """The open knowledge base (``create``: make the collection again if it was dropped)."""
        ...

    def add_to_knowledge_base(
        self, sequences: Sequence[LogSequence], tenant: str, source: str, show_progress: bool = False
    ) -> int:
        """Write labelled windows as ``tenant``'s ``source`` (replacing its earlier rows); rows written."""
        ...
