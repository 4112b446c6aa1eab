"""A constant threshold behind the stateful interface: the one validation chose, moved only by verdicts."""

from __future__ import annotations

from typing import Any

import numpy as np

from logad.threshold.config import ThresholdConfig
from logad.threshold.policy import ThresholdPolicy, check_keys, read_float


class StaticThreshold(ThresholdPolicy):
    """Threshold ``value`` (plus the verdicts' offset); scores teach it nothing."""

    kind = "static"

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    @classmethod
    def fit(
        cls, normal: np.ndarray, anomalous: np.ndarray | None, anchor: float, config: ThresholdConfig
    ) -> StaticThreshold:
        """The anchor itself: the static threshold is what the other kinds start from."""
        return cls(anchor)

    def base_threshold(self) -> float:
        return self.value

    def _observe(self, score: float) -> None:
        """A static threshold learns nothing from scores."""

    def _fields(self) -> dict[str, Any]:
        return {"value": self.value}

    def _load_fields(self, state: dict[str, Any]) -> None:
        check_keys(state, self.kind, {"value"})
        self.value = read_float(state, self.kind, "value")
