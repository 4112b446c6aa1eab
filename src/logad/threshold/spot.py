"""SPOT and DSPOT (Siffer et al., KDD 2017, "Anomaly detection in streams with extreme value theory") through the
``libspot`` package by the paper's first author.

SPOT fits a generalised Pareto distribution (GPD) to the excesses of the scores over a high quantile ``t`` (the
peaks-over-threshold method) and flags a score above ``z_q = t + σ/γ ((q n / N_t)^(-γ) - 1)``, the level a
normal score exceeds with probability ``q`` (``spot_risk``). Each later score that exceeds ``t`` but not ``z_q``
joins the excesses and the GPD is fitted again; anomalies are discarded. DSPOT runs SPOT on ``x - M``, where
``M`` is the mean of the last ``dspot_depth`` scores SPOT did not flag, so its threshold follows a drifting level.

Both kinds start at the anchor (the static threshold validation chose): the risk ``q`` is the probability the
fitted tail gives a score above the anchor, so that ``z_q0`` at the end of validation is the anchor and the kind is
the paper's method with that ``q``. Where the anchor lies outside the fitted tail (beyond its end, or below ``t``),
``q`` is ``spot_risk`` and the kind serves ``anchor + z_q - z_q0`` (DSPOT: ``anchor + (M + z_q) - (M0 + z_q0)``, with
``M0`` the level at the end of validation).

How the state survives a restart: a ``libspot.Spot`` cannot be pickled, serialised or set to a given state, and
its incremental refits depend on the path it took. logad keeps what SPOT's decisions depend on as plain JSON (the
excess threshold ``t``, the last ``spot_max_excess`` excesses in order, ``n``, ``N_t`` and ``z_q``) and mirrors
libspot's step (anomaly: nothing changes; excess: append, ``N_t`` and ``n`` + 1, refit; else ``n`` + 1). On every
excess it builds a fresh ``libspot.Spot`` whose fit reproduces that tail exactly (the excesses over a frame where
``t`` = 0, with ``q`` rescaled by ``n / N_t``) and reads ``z_q`` from it. So the GPD is always libspot's maximum-
likelihood fit of the current excesses, and a policy rebuilt from its JSON decides exactly like the one that never
stopped.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from logad.errors import BadInputError, ConfigError
from logad.threshold.config import ThresholdConfig
from logad.threshold.policy import POSITIVE, ThresholdPolicy, check_keys, finite_scores, read_float, read_int

MIN_EXCESSES = 5
_FRAME_PAD = 10  # scores at t in the fitting frame, below every excess


def _libspot() -> Any:
    try:
        import libspot
    except ImportError:
        raise ConfigError("the spot and dspot thresholds need the 'libspot' package: pip install libspot") from None
    return libspot


def _new_spot(risk: float, level: float, max_excess: int) -> Any:
    return _libspot().Spot(q=risk, low=False, discard_anomalies=True, level=level, max_excess=max_excess)


def _calibrated_spot(scores: np.ndarray, risk: float, config: ThresholdConfig, what: str) -> Any:
    """A libspot Spot fitted on ``scores``; BadInputError when libspot finds no usable tail."""
    spot = _new_spot(risk, config.spot_level, config.spot_max_excess)
    try:
        spot.fit(scores)
    except RuntimeError as exc:  # libspot's "anomaly threshold has not been initialized": no usable tail
        raise BadInputError(f"{what}: libspot cannot fit a tail to {len(scores)} validation scores ({exc})") from None
    return spot


class SpotTail:
    """SPOT's state as data: excess threshold, the excesses in arrival order, counts and the current ``z_q``."""

    def __init__(self, risk: float, max_excess: int) -> None:
        self.risk, self.max_excess = risk, max_excess
        self.excess_threshold, self.n, self.excesses_seen, self.anomaly_threshold = 0.0, 0, 0, 0.0
        self.excesses: deque[float] = deque(maxlen=max_excess)

    @classmethod
    def fitted(cls, scores: np.ndarray, anchor: float, config: ThresholdConfig, what: str) -> SpotTail:
        """libspot's initial calibration on ``scores`` with the risk that puts ``z_q`` at ``anchor`` (``spot_risk``
        where the tail gives the anchor no probability); BadInputError when too few scores exceed its ``t``."""
        scores = np.asarray(scores, dtype=float)
        spot = _calibrated_spot(scores, config.spot_risk, config, what)
        risk = float(spot.probability(anchor))
        if math.isfinite(risk) and 0.0 < risk < 1.0 - config.spot_level:  # libspot's own bound on q
            spot = _calibrated_spot(scores, risk, config, what)
        else:
            risk = config.spot_risk
        state = spot.as_dict()
        container = state["tail"]["peaks"]["container"]
        data, cursor = container["data"], container["cursor"]
        tail = cls(risk, config.spot_max_excess)
        tail.excesses.extend(data[cursor:] + data[:cursor] if container["filled"] else data[:cursor])
        if len(tail.excesses) < MIN_EXCESSES:
            raise BadInputError(
                f"{what}: {len(tail.excesses)} of {len(scores)} validation scores exceed SPOT's initial threshold; "
                f"its tail needs at least {MIN_EXCESSES} (too few distinct high normal scores)"
            )
        tail.excess_threshold, tail.n, tail.excesses_seen = state["excess_threshold"], state["n"], state["Nt"]
        tail.anomaly_threshold = float(spot.anomaly_threshold)
        return tail

    def step(self, score: float) -> None:
        """libspot's step on a finite score: anomalies change nothing, an excess refits the tail."""
        if score > self.anomaly_threshold:
            return
        self.n += 1
        if score > self.excess_threshold:
            self.excesses.append(score - self.excess_threshold)
            self.excesses_seen += 1
            self.anomaly_threshold = self._refit()

    def _refit(self) -> float:
        """``z_q`` of a fresh libspot fit whose tail is exactly this one (see the module docstring)."""
        frame = np.r_[np.zeros(_FRAME_PAD), np.fromiter(self.excesses, float)]
        risk = self.risk * (self.n / self.excesses_seen) * (len(self.excesses) / len(frame))
        spot = _new_spot(min(risk, 1.0 - 1e-12), 1e-9, self.max_excess)
        try:
            spot.fit(frame)
        except RuntimeError:  # a degenerate tail (e.g. every excess equal): keep the last threshold
            return self.anomaly_threshold
        return self.excess_threshold + float(spot.anomaly_threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk": self.risk,
            "max_excess": self.max_excess,
            "excess_threshold": self.excess_threshold,
            "n": self.n,
            "excesses_seen": self.excesses_seen,
            "anomaly_threshold": self.anomaly_threshold,
            "excesses": list(self.excesses),
        }

    @classmethod
    def from_dict(cls, kind: str, state: Any) -> SpotTail:
        if not isinstance(state, dict):
            raise BadInputError(f"{kind} threshold state: tail must be a mapping, not {type(state).__name__}")
        check_keys(state, f"{kind} tail", set(cls(0.5, 1).to_dict()))
        tail = cls(read_float(state, kind, "risk", POSITIVE, 1.0), read_int(state, kind, "max_excess", 1))
        for name in ("excess_threshold", "anomaly_threshold"):
            setattr(tail, name, read_float(state, kind, name))
        tail.n, tail.excesses_seen = read_int(state, kind, "n", 1), read_int(state, kind, "excesses_seen", 1)
        excesses = state["excesses"]
        if not isinstance(excesses, list) or not 0 < len(excesses) <= tail.max_excess:
            raise BadInputError(f"{kind} threshold state: tail excesses must be a list of 1 to max_excess numbers")
        tail.excesses.extend(read_float({"excess": e}, kind, "excess", 0.0) for e in excesses)
        return tail


class SpotThreshold(ThresholdPolicy):
    """SPOT through libspot, started at the anchor (module docstring)."""

    kind = "spot"

    def __init__(self, anchor: float = 0.0, tail: SpotTail | None = None) -> None:
        self.anchor = float(anchor)
        self.tail = SpotTail(0.5, 1) if tail is None else tail
        self.start = self.tail.anomaly_threshold

    @classmethod
    def fit(
        cls, normal: np.ndarray, anomalous: np.ndarray | None, anchor: float, config: ThresholdConfig
    ) -> SpotThreshold:
        normal = finite_scores(normal, f"{cls.kind} threshold fit")
        return cls(anchor, SpotTail.fitted(normal, anchor, config, cls.kind))

    def base_threshold(self) -> float:
        return self.anchor + self.tail.anomaly_threshold - self.start

    def _observe(self, score: float) -> None:
        self.tail.step(score)

    def _fields(self) -> dict[str, Any]:
        return {"anchor": self.anchor, "start": self.start, "tail": self.tail.to_dict()}

    def _load_fields(self, state: dict[str, Any]) -> None:
        check_keys(state, self.kind, {"anchor", "start", "tail"})
        tail = SpotTail.from_dict(self.kind, state["tail"])
        self.anchor, self.start = read_float(state, self.kind, "anchor"), read_float(state, self.kind, "start")
        self.tail = tail


class DspotThreshold(ThresholdPolicy):
    """DSPOT: SPOT on the scores minus the mean of the last ``depth`` unflagged ones, started at the anchor."""

    kind = "dspot"

    def __init__(self, anchor: float = 0.0, tail: SpotTail | None = None, recent: list[float] | None = None) -> None:
        self.anchor = float(anchor)
        self.tail = SpotTail(0.5, 1) if tail is None else tail
        self.recent: deque[float] = deque(recent or [0.0], maxlen=len(recent or [0.0]))
        self.start = self.level() + self.tail.anomaly_threshold

    @classmethod
    def fit(
        cls, normal: np.ndarray, anomalous: np.ndarray | None, anchor: float, config: ThresholdConfig
    ) -> DspotThreshold:
        """libspot's calibration on the residuals of the validation normal scores (each minus the mean of the
        ``depth`` before it, in their order), the last ``depth`` of them as the window."""
        normal = finite_scores(normal, f"{cls.kind} threshold fit")
        depth = config.dspot_depth
        if len(normal) <= depth:
            raise BadInputError(f"{cls.kind} threshold fit: needs more than {depth} normal validation scores")
        means = np.convolve(normal, np.ones(depth) / depth, mode="valid")[:-1]
        recent = normal[-depth:]
        tail = SpotTail.fitted(normal[depth:] - means, anchor - float(recent.mean()), config, cls.kind)
        return cls(anchor, tail, recent.tolist())

    def level(self) -> float:
        """M: the mean of the last ``depth`` scores SPOT did not flag."""
        return float(np.mean(self.recent))

    def base_threshold(self) -> float:
        return self.anchor + self.level() + self.tail.anomaly_threshold - self.start

    def _observe(self, score: float) -> None:
        residual = score - self.level()
        if residual <= self.tail.anomaly_threshold:
            self.recent.append(score)
        self.tail.step(residual)

    def _fields(self) -> dict[str, Any]:
        return {"anchor": self.anchor, "start": self.start, "recent": list(self.recent), "tail": self.tail.to_dict()}

    def _load_fields(self, state: dict[str, Any]) -> None:
        check_keys(state, self.kind, {"anchor", "start", "recent", "tail"})
        tail = SpotTail.from_dict(self.kind, state["tail"])
        recent = state["recent"]
        if not isinstance(recent, list) or not recent:
            raise BadInputError(f"{self.kind} threshold state: recent must be a non-empty list of numbers")
        values = [read_float({"recent": value}, self.kind, "recent") for value in recent]
        self.anchor, self.start = read_float(state, self.kind, "anchor"), read_float(state, self.kind, "start")
        self.tail, self.recent = tail, deque(values, maxlen=len(values))
