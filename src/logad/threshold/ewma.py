"""The anchored drift-following threshold: robust, exponentially forgetting trackers of where normal scores lie.

The threshold starts at the anchor ``a`` (the static threshold validation chose) and moves only when the bulk of
the scores demonstrably moves. Two stochastic-approximation trackers follow the stream's median ``m`` and its median
absolute deviation ``d`` from it; each score moves them by at most ``λ`` times the current spread ``s = max(d,
floor)``::

    m ← m + λ s (1/2 - [x ≤ m]),    d ← d + λ s (1/2 - [|x - m| ≤ d])

(an exponentially weighted estimate of the two medians with smoothing λ). Because the step does not grow with the
score, a burst of k anomalies moves the median by at most k λ s / 2, however large their scores, while a lasting
shift of the normal scores moves it all the way (a shift of k spreads in about 2 k / λ windows). Scores above the
current threshold do not move ``d``: the spread multiplies the anchor's margin, a burst must not widen it, and
during a level shift the spread of the scores around the still-lagging median says nothing about their spread.

With the references m0 and d0 (median and median absolute deviation of the validation normal scores) the threshold
is the anchor carried along by the shift::

    threshold = m0 + Δ + max(a - m0, floor) ρ,    Δ = m - m0,    ρ = s / s0

where Δ counts only beyond ``band_level`` s0 and ρ only beyond ``exp(±band_scale)``: bands 25% wider than the
largest |Δ| / s0 and |log ρ| seen over bootstrap streams of the validation normal scores, so a stable stream
keeps the anchor exactly (``a`` itself while neither counts) and its noise never moves it. ``floor`` (a small
fraction of the robust spread, never 0) keeps s positive where most scores tie, and keeps a margin above the
median where the anchor sits on it (all normal validation scores equal).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from logad.threshold.config import ThresholdConfig
from logad.threshold.policy import POSITIVE, ThresholdPolicy, check_keys, finite_scores, read_float, rebuild
from logad.threshold.robust import robust_spread

CALIBRATION_STREAMS, CALIBRATION_STEPS, BAND_MARGIN = 32, 600, 1.25
MIN_BAND_LEVEL, MIN_BAND_SCALE = 0.1, math.log(1.2)
FLOOR_FRACTION = 0.05


def track_step(
    median: Any, deviation: Any, score: Any, ceiling: Any, smoothing: float, floor: float
) -> tuple[Any, Any]:
    """One update of the median and deviation trackers (``ceiling``: the threshold in force, above which a score
    leaves the deviation alone); elementwise, so it serves one stream or many."""
    step = smoothing * np.maximum(deviation, floor)
    moved = median + step * (0.5 - (score <= median))
    widened = deviation + step * (0.5 - (np.abs(score - median) <= deviation))
    return moved, np.where(score > ceiling, deviation, np.maximum(widened, 0.0))


def track(scores: np.ndarray, policy: EwmaThreshold) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run copies of ``policy``'s trackers over each row of ``scores`` (streams x time) without changing it: the
    median, spread and carried threshold in force *before* each score."""
    medians, spreads, carried = (np.empty_like(scores) for _ in range(3))
    median, deviation = np.full(len(scores), policy.median), np.full(len(scores), policy.deviation)
    for t in range(scores.shape[1]):
        medians[:, t], spreads[:, t] = median, np.maximum(deviation, policy.floor)
        carried[:, t] = carried_anchor(policy, median, spreads[:, t])
        median, deviation = track_step(median, deviation, scores[:, t], carried[:, t], policy.smoothing, policy.floor)
    return medians, spreads, carried


class EwmaThreshold(ThresholdPolicy):
    """The anchor carried along by robust median and deviation trackers (see the module docstring)."""

    kind = "ewma"

    def __init__(self, anchor: float = 0.0, smoothing: float = 0.02) -> None:
        if not 0.0 < smoothing < 1.0:
            raise ValueError(f"smoothing must be in (0, 1), not {smoothing}")
        self.anchor, self.smoothing = float(anchor), float(smoothing)
        self.ref_median = self.ref_deviation = self.median = self.deviation = 0.0
        self.floor, self.band_level, self.band_scale = 1.0, 0.0, 0.0

    @classmethod
    def fit(
        cls, normal: np.ndarray, anomalous: np.ndarray | None, anchor: float, config: ThresholdConfig
    ) -> EwmaThreshold:
        """References, floor and bands from the validation normal scores."""
        policy = cls(anchor, config.smoothing)
        policy.calibrate(finite_scores(normal, f"{cls.kind} threshold fit"), config.seed)
        return policy

    def calibrate(self, normal: np.ndarray, seed: int) -> None:
        """Set the references to the normal scores' median and median absolute deviation, and the bands from
        bootstrap streams of them (see the module docstring)."""
        median = float(np.median(normal))
        deviation = float(np.median(np.abs(normal - median)))
        self.floor = FLOOR_FRACTION * (robust_spread(normal) or max(abs(self.anchor - median), abs(median), 1.0))
        self.ref_median, self.ref_deviation, self.median, self.deviation = median, deviation, median, deviation
        streams = np.random.default_rng(seed).choice(normal, (CALIBRATION_STREAMS, CALIBRATION_STEPS))
        self.band_level, self.band_scale = math.inf, math.inf  # no threshold movement while the bands are measured
        medians, spreads, _ = track(streams, self)
        settled = slice(CALIBRATION_STEPS // 3, None)
        level = np.abs(medians[:, settled] - median) / self.ref_spread
        ratio = np.abs(np.log(spreads[:, settled] / self.ref_spread))
        self.band_level = max(BAND_MARGIN * float(level.max()), MIN_BAND_LEVEL)
        self.band_scale = max(BAND_MARGIN * float(ratio.max()), MIN_BAND_SCALE)

    @property
    def ref_spread(self) -> float:
        return max(self.ref_deviation, self.floor)

    @property
    def spread(self) -> float:
        """The trackers' current spread (never below the floor)."""
        return max(self.deviation, self.floor)

    def base_threshold(self) -> float:
        return carried_anchor(self, self.median, self.spread)

    def _observe(self, score: float) -> None:
        median, deviation = track_step(self.median, self.deviation, score, self.threshold(), self.smoothing, self.floor)
        self.median, self.deviation = float(median), float(deviation)

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    def _load_fields(self, state: dict[str, Any]) -> None:
        check_keys(state, self.kind, set(_FIELDS))

        def number(name: str, low: float = -math.inf) -> float:
            return read_float(state, self.kind, name, low)

        fresh = rebuild(EwmaThreshold, self.kind, anchor=number("anchor"), smoothing=number("smoothing"))
        fresh.ref_median, fresh.median = number("ref_median"), number("median")
        fresh.ref_deviation, fresh.deviation = number("ref_deviation", 0.0), number("deviation", 0.0)
        fresh.floor = number("floor", POSITIVE)
        fresh.band_level, fresh.band_scale = number("band_level", 0.0), number("band_scale", 0.0)
        vars(self).update(vars(fresh))


_FIELDS = (
    "anchor",
    "smoothing",
    "ref_median",
    "ref_deviation",
    "median",
    "deviation",
    "floor",
    "band_level",
    "band_scale",
)


def carried_anchor(policy: EwmaThreshold, median: Any, spread: Any) -> Any:
    """``policy``'s anchor moved by the trackers' level shift and scaled by their spread ratio, each counted only
    beyond its band (module docstring); elementwise over arrays of tracker values ``median`` and ``spread``."""
    shift = median - policy.ref_median
    shift = np.where(np.abs(shift) > policy.band_level * policy.ref_spread, shift, 0.0)
    ratio = spread / policy.ref_spread
    ratio = np.where(np.abs(np.log(ratio)) > policy.band_scale, ratio, 1.0)
    margin = max(policy.anchor - policy.ref_median, policy.floor)
    carried = np.where((shift != 0.0) | (ratio != 1.0), policy.ref_median + shift + margin * ratio, policy.anchor)
    return float(carried) if np.ndim(carried) == 0 else carried
