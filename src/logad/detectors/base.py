"""The interface every detector implements; training, evaluation and serving only use this."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from logad.data.types import LogSequence
from logad.detectors.capabilities import Capabilities
from logad.errors import ConfigError, LogadError
from logad.parsing.preprocessor import Preprocessor

Part = TypeVar("Part")


class NotFittedError(LogadError):
    """A detector asked to score, explain or save before it was trained or loaded."""


@dataclass
class FitContext:
    """What a detector may use while fitting besides its data and config (which holds its seed): output folder,
    progress switch, and the model version the artifact will carry (detectors with external state, like a
    knowledge base, tag it)."""

    work_dir: Path | None = None
    show_progress: bool = True
    model_version: str = ""


class Detector(ABC):
    """A log anomaly detector: fit on windows, score windows (higher = more anomalous), save and load.

    Subclasses set ``name`` (registry key), ``config_class`` (a dataclass) and ``supervised`` (whether
    ``fit`` needs labels; ``supervised_for`` when the config decides); ``presets`` maps preset names to config
    overrides; ``learns_from_feedback`` declares that ``learn_feedback`` takes operators' corrected labels while
    serving; ``capabilities`` declares its pipeline stages, GPU use and knowledge base (its package's
    CAPABILITIES, see ``logad.detectors.capabilities``). The preprocessor (masking +
    template store) is shared with serving so the same message always maps to the same template ID.
    """

    name: ClassVar[str]
    config_class: ClassVar[type]
    supervised: ClassVar[bool]
    scores_are_probabilities: ClassVar[bool] = False
    learns_from_feedback: ClassVar[bool] = False
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    capabilities: ClassVar[Capabilities] = Capabilities()

    @classmethod
    def supervised_for(cls, config: Any) -> bool:
        """Whether ``fit`` needs labels with ``config``: ``supervised`` unless the config chooses."""
        return cls.supervised

    def __init__(self, config: Any, preprocessor: Preprocessor) -> None:
        self.config = config
        self.preprocessor = preprocessor

    def fitted(self, part: Part | None) -> Part:
        """``part`` of the trained model (its network, classifier...); NotFittedError while it is None."""
        if part is None:
            raise NotFittedError(f"the {self.name} detector is not trained or loaded")
        return part

    @abstractmethod
    def fit(self, train: Sequence[LogSequence], validation: Sequence[LogSequence], context: FitContext) -> None:
        """Learn from training windows; validation windows may be used for early stopping."""

    @abstractmethod
    def score(self, sequences: Sequence[LogSequence]) -> np.ndarray:
        """Anomaly score per window, float array of shape (len(sequences),); higher = more anomalous."""

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write the learned state into ``directory`` (the artifact's ``model/`` folder)."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, config: Any, preprocessor: Preprocessor) -> Detector:
        """Rebuild a fitted detector from ``save``'s output."""

    def close(self) -> None:  # noqa: B027 - optional hook, most detectors hold nothing to release
        """Release external resources (e.g. a knowledge-base connection); the detector may reopen them on use."""

    def explain(self, sequences: Sequence[LogSequence]) -> list[dict[str, Any]]:
        """Per-window explanation where the detector can give one; empty dicts by default."""
        return [{} for _ in sequences]

    def score_tenant(self, sequences: Sequence[LogSequence], tenant: str) -> np.ndarray:
        """``score`` using only ``tenant``'s own state where the detector keeps some per tenant."""
        return self.score(sequences)

    def explain_tenant(self, sequences: Sequence[LogSequence], tenant: str) -> list[dict[str, Any]]:
        """``explain`` using only ``tenant``'s own state where the detector keeps some per tenant."""
        return self.explain(sequences)

    def learn_feedback(self, sequences: Sequence[LogSequence], tenant: str) -> int:
        """Learn ``tenant``'s windows with an operator's corrected label in ``seq.label``, without retraining;
        how many entries were written. Only detectors that declare ``learns_from_feedback`` can."""
        raise ConfigError(
            f"detector {self.name!r} does not learn from feedback (only the tenant's threshold takes verdicts)"
        )

    def resources_problem(self) -> str | None:
        """Why the detector's external resources cannot serve now (readiness), or None; most hold none."""
        return None

    def open_resources(self) -> None:  # noqa: B027 - optional hook, most detectors hold nothing external
        """Open and verify external resources now (serving is ready only after this), not on first use."""
