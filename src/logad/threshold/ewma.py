"""Fast layer: exponentially weighted mean and variance of recent scores; threshold = mean + z * spread.

With smoothing λ and δ = x - mean, one step is (West's exponentially weighted variance)::

    mean ← mean + λ δ,    var ← (1 - λ) (var + λ δ²),    spread = max(√var, min_spread)

``z`` (unless given) is calibrated in ``warm_up``: the EWMA is run over the warm-up normal scores, each score is
standardised by the mean and spread *before* it, ``r_t = (x_t - mean_{t-1}) / spread_{t-1}``, and z is the
``1 - target_false_alarm_rate`` quantile of r, so the rule ``x > mean + z * spread`` raises that share of false
alarms on the warm-up scores. ``min_spread`` (5 % of the warm-up std) stops the threshold collapsing onto the mean
on flat stretches.

What an anomalous score (x > threshold) does to the state is ``anomaly_update``:

* ``clip`` (default): the mean moves towards the score winsorised at the threshold and the variance is held, so
  a lasting level shift is followed at a bounded rate (λ z spread per step) while an isolated spike moves the
  mean by at most that much and does not inflate the spread.
* ``skip``: anomalous scores change nothing (the baseline never follows an upward shift larger than its margin).
* ``full``: the raw score updates both (follows fastest, but one spike inflates the spread for about 1/λ steps).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from logad.threshold.policy import POSITIVE, ThresholdPolicy, check_keys, finite_scores, read_float, rebuild

if TYPE_CHECKING:
    from logad.threshold.factory import ThresholdConfig

ANOMALY_UPDATES = ("clip", "skip", "full")
MIN_SPREAD_FRACTION = 0.05


def ewma_step(
    mean: Any, var: Any, score: Any, threshold: Any, smoothing: float, anomaly_update: str
) -> tuple[Any, Any]:
    """One update of (mean, var) by ``score``; elementwise, so it serves one stream or many at once."""
    anomalous = score > threshold
    delta = (np.minimum(score, threshold) if anomaly_update == "clip" else score) - mean
    new_mean = mean + smoothing * delta
    new_var = (1.0 - smoothing) * (var + smoothing * delta * delta)
    if anomaly_update == "full":
        return new_mean, new_var
    if anomaly_update == "skip":
        new_mean = np.where(anomalous, mean, new_mean)
    return new_mean, np.where(anomalous, var, new_var)


def ewma_trace(
    scores: np.ndarray, fast: EwmaThreshold, z: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run copies of ``fast``'s state over each row of ``scores`` (streams x time) without changing ``fast``.

    Returns the mean, spread and threshold in force *before* each score, all shaped like ``scores``; ``z``
    overrides the policy's z (``math.inf`` gives a pass with no anomalies).
    """
    z = fast.z if z is None else z
    means, spreads = np.empty_like(scores), np.empty_like(scores)
    mean, var = np.full(len(scores), fast.mean), np.full(len(scores), fast.var)
    for t in range(scores.shape[1]):
        means[:, t], spreads[:, t] = mean, np.maximum(np.sqrt(var), fast.min_spread)
        threshold = mean + z * spreads[:, t]
        mean, var = ewma_step(mean, var, scores[:, t], threshold, fast.smoothing, fast.anomaly_update)
    return means, spreads, means + z * spreads


class EwmaThreshold(ThresholdPolicy):
    """Threshold ``mean + z * spread`` from an EWMA of the scores (see the module docstring)."""

    kind = "ewma"

    def __init__(
        self,
        smoothing: float = 0.2,
        target_false_alarm_rate: float = 0.01,
        anomaly_update: str = "clip",
        z: float | None = None,
    ) -> None:
        if not 0.0 < smoothing <= 1.0:
            raise ValueError(f"smoothing must be in (0, 1], not {smoothing}")
        if not 0.0 < target_false_alarm_rate < 1.0:
            raise ValueError(f"target_false_alarm_rate must be in (0, 1), not {target_false_alarm_rate}")
        if anomaly_update not in ANOMALY_UPDATES:
            raise ValueError(f"anomaly_update must be one of {', '.join(ANOMALY_UPDATES)}, not {anomaly_update!r}")
        if z is not None and not math.isfinite(z):
            raise ValueError(f"z must be a finite number, not {z}")
        self.smoothing = float(smoothing)
        self.target_false_alarm_rate = float(target_false_alarm_rate)
        self.anomaly_update = anomaly_update
        self.z = None if z is None else float(z)
        self.mean: float | None = None
        self.var: float | None = None
        self.min_spread: float | None = None

    @classmethod
    def from_config(cls, config: ThresholdConfig) -> EwmaThreshold:
        """An EWMA threshold (not yet warmed up) with the config's smoothing, target rate, anomaly update and z."""
        return cls(config.smoothing, config.target_false_alarm_rate, config.anomaly_update, config.z)

    @property
    def spread(self) -> float:
        """Current spread estimate ``max(√var, min_spread)``."""
        self._require_warm()
        return max(math.sqrt(self.var), self.min_spread)

    def threshold(self) -> float:
        self._require_warm()
        return self.mean + self.z * self.spread

    def warm_up(self, normal_scores: np.ndarray) -> None:
        """Start from the mean and variance of the normal scores; calibrate z on them when it was not given."""
        scores = finite_scores(normal_scores, f"{self.kind} threshold warm-up")
        mean, var = float(scores.mean()), float(scores.var())
        self.mean, self.var = mean, var
        self.min_spread = MIN_SPREAD_FRACTION * math.sqrt(var) or 1e-6 * max(1.0, abs(mean))
        if self.z is None:
            means, spreads, _ = ewma_trace(scores[None, :], self, z=math.inf)
            self.z = float(np.quantile((scores - means[0]) / spreads[0], 1.0 - self.target_false_alarm_rate))

    def _observe(self, score: float) -> None:
        mean, var = ewma_step(self.mean, self.var, score, self.threshold(), self.smoothing, self.anomaly_update)
        self.mean, self.var = float(mean), float(var)

    def _require_warm(self) -> None:
        if self.mean is None or self.z is None:
            raise RuntimeError(f"{self.kind} threshold is not warmed up: call warm_up or load_state_dict first")

    def _fields(self) -> dict[str, Any]:
        self._require_warm()
        return {
            "smoothing": self.smoothing,
            "target_false_alarm_rate": self.target_false_alarm_rate,
            "anomaly_update": self.anomaly_update,
            "z": self.z,
            "mean": self.mean,
            "var": self.var,
            "min_spread": self.min_spread,
        }

    def _load_fields(self, state: dict[str, Any]) -> None:
        check_keys(state, self.kind, _FIELDS)

        def number(name: str, low: float = -math.inf) -> float:
            return read_float(state, self.kind, name, low)

        fresh = rebuild(
            EwmaThreshold,
            self.kind,
            smoothing=number("smoothing"),
            target_false_alarm_rate=number("target_false_alarm_rate"),
            anomaly_update=state["anomaly_update"],
            z=number("z"),
        )
        fresh.mean, fresh.var, fresh.min_spread = number("mean"), number("var", 0.0), number("min_spread", POSITIVE)
        vars(self).update(vars(fresh))


_FIELDS = {"smoothing", "target_false_alarm_rate", "anomaly_update", "z", "mean", "var", "min_spread"}
