"""A constant threshold behind the stateful interface (the baseline that does not follow drift)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from logad.threshold.policy import ThresholdPolicy, check_keys, finite_scores, read_float, rebuild

if TYPE_CHECKING:
    from logad.threshold.factory import ThresholdConfig


class StaticThreshold(ThresholdPolicy):
    """Threshold ``value``; when none is given, ``warm_up`` sets it to the ``quantile`` of normal scores."""

    kind = "static"

    def __init__(self, value: float | None = None, quantile: float = 0.99) -> None:
        if not 0.0 <= quantile <= 1.0:
            raise ValueError(f"quantile must be in [0, 1], not {quantile}")
        self.value = None if value is None else float(value)
        self.quantile = float(quantile)

    @classmethod
    def from_config(cls, config: ThresholdConfig) -> StaticThreshold:
        """The config's ``static_value``, or (after warm_up) the 1 - target_false_alarm_rate normal quantile."""
        return cls(config.static_value, quantile=1.0 - config.target_false_alarm_rate)

    def threshold(self) -> float:
        if self.value is None:
            raise RuntimeError("static threshold has no value: give one or call warm_up first")
        return self.value

    def warm_up(self, normal_scores: np.ndarray) -> None:
        """Fill in the value (only when unset) as the configured quantile of the finite normal scores."""
        if self.value is None:
            scores = finite_scores(normal_scores, "static threshold warm-up")
            self.value = float(np.quantile(scores, self.quantile))

    def _observe(self, score: float) -> None:
        """A static threshold learns nothing."""

    def _fields(self) -> dict[str, Any]:
        return {"value": self.threshold(), "quantile": self.quantile}

    def _load_fields(self, state: dict[str, Any]) -> None:
        check_keys(state, self.kind, {"value", "quantile"})
        fresh = rebuild(
            StaticThreshold,
            self.kind,
            value=read_float(state, self.kind, "value"),
            quantile=read_float(state, self.kind, "quantile"),
        )
        vars(self).update(vars(fresh))
