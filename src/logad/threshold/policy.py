"""One interface for stateful thresholds: decide on a score with the current threshold, then learn from it.

A policy is used the same way offline (test windows streamed in time order) and in serving (one instance per
tenant and model, persisted through ``state_dict``). A score is anomalous when it is strictly greater than the
threshold computed *before* the score was seen, so a decision never depends on the score itself or later ones.

Every kind's threshold is its own ``base_threshold`` moved as an operator's verdicts ask (``Verdicts``): a window
marked normal should end at or below the threshold, one marked anomalous above it. The threshold is the one that
gets the fewest of the last ``MAX_VERDICTS`` verdicts wrong, the nearest to the base among those: a false alarm
lifts it just to that window's score, a missed anomaly lowers it just below, and a verdict that contradicts an
earlier one (a missed anomaly scoring below a false alarm) brings it back towards the base instead of flooding
the tenant with alarms. Margins are taken against the base threshold when the verdict arrives, so they keep their
meaning while a drift-following base moves.

Missed anomalies never pull the threshold below the verdict floor: the ``FLOOR_QUANTILE`` of the validation normal
scores (as a margin below the base threshold fitted with them). Below it, the threshold would flag more than
``1 - FLOOR_QUANTILE`` of normal windows to catch one, as when DeepLog misses an anomaly scored 0 like nearly every
normal window: such a miss is for the model to learn, not for the threshold.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from logad.errors import BadInputError

PolicyT = TypeVar("PolicyT", bound="ThresholdPolicy")
POSITIVE = float(np.finfo(float).tiny)  # lower bound for state fields that must be > 0


@dataclass(frozen=True)
class Decision:
    """The outcome for one score; ``valid`` is False for NaN/inf scores, which are never anomalous."""

    score: float
    threshold: float
    anomalous: bool
    valid: bool


MAX_VERDICTS = 50
FLOOR_QUANTILE = 0.95


@dataclass(frozen=True)
class Verdicts:
    """What operators said about past windows, newest last: ``(margin, anomalous)`` with ``margin`` the window's
    score minus the base threshold when the verdict came; ``count`` is every verdict ever given; ``floor`` the
    lowest threshold they may choose, as a margin from the base threshold (-inf: none)."""

    margins: tuple[tuple[float, bool], ...] = ()
    count: int = 0
    floor: float = -math.inf

    @classmethod
    def floored(cls, normal_scores: np.ndarray, base: float) -> Verdicts:
        """No verdicts yet, with the floor at the ``FLOOR_QUANTILE`` of the finite ``normal_scores`` (never above
        ``base``); no floor without finite scores."""
        finite = np.asarray(normal_scores, dtype=float)
        finite = finite[np.isfinite(finite)]
        if not finite.size:
            return cls()
        return cls(floor=min(float(np.quantile(finite, FLOOR_QUANTILE)) - base, 0.0))

    def apply(self, base: float) -> float:
        """The threshold that gets the fewest verdicts wrong (a normal window above it, an anomalous one at or
        below it), the nearest ``base`` among those."""
        if not self.margins:
            return base
        floor = base + self.floor
        candidates = {base} | {
            max(floor, math.nextafter(base + margin, -math.inf)) if anomalous else base + margin
            for margin, anomalous in self.margins
        }
        return min(candidates, key=lambda threshold: (self._wrong(base, threshold), abs(threshold - base)))

    def _wrong(self, base: float, threshold: float) -> int:
        return sum((base + margin > threshold) != anomalous for margin, anomalous in self.margins)

    def add(self, margin: float, anomalous: bool) -> Verdicts:
        """These verdicts and one more about a window ``margin`` above the base threshold."""
        if not math.isfinite(margin):
            raise BadInputError(f"a verdict needs a finite score margin, not {margin}")
        margins = (*self.margins, (float(margin), bool(anomalous)))[-MAX_VERDICTS:]
        return Verdicts(margins, self.count + 1, self.floor)

    def to_dict(self) -> dict[str, Any]:
        return {
            "margins": [[margin, anomalous] for margin, anomalous in self.margins],
            "count": self.count,
            "floor": self.floor if math.isfinite(self.floor) else None,
        }

    @classmethod
    def from_dict(cls, kind: str, state: Any) -> Verdicts:
        """Verdicts from ``to_dict``; BadInputError naming the field that does not fit."""
        where = f"{kind} threshold state: verdicts"
        if not isinstance(state, dict):
            raise BadInputError(f"{where} must be a mapping, not {type(state).__name__}")
        state = {"floor": None, **state}  # states written before the floor existed have none
        check_keys(state, f"{kind} verdicts", {"margins", "count", "floor"})
        margins = state["margins"]
        if not isinstance(margins, list) or len(margins) > MAX_VERDICTS:
            raise BadInputError(f"{where}: margins must be a list of at most {MAX_VERDICTS} [margin, anomalous] pairs")
        pairs = []
        for pair in margins:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], bool)):
                raise BadInputError(f"{where}: each margin must be a [number, true|false] pair, not {pair!r}")
            pairs.append((read_float({"margin": pair[0]}, f"{kind} verdicts", "margin"), pair[1]))
        floor = -math.inf if state["floor"] is None else read_float(state, f"{kind} verdicts", "floor", high=0.0)
        return cls(tuple(pairs), read_int(state, f"{kind} verdicts", "count", len(pairs)), floor)


@dataclass(frozen=True)
class StreamResult:
    """Per-score thresholds, anomaly flags and validity flags of a stream run through a policy."""

    thresholds: np.ndarray
    anomalous: np.ndarray
    valid: np.ndarray


class ThresholdPolicy(ABC):
    """A threshold with state: ``update`` decides with the state before the score, then updates the state."""

    kind: ClassVar[str]
    version: ClassVar[int] = 2
    verdicts: Verdicts = Verdicts()

    def update(self, score: float) -> Decision:
        """Decide on ``score`` with the current threshold, then learn from it (non-finite scores are skipped)."""
        decision = self.judge(score)
        if decision.valid:
            self._observe(decision.score)
        return decision

    def judge(self, score: float) -> Decision:
        """Decide on ``score`` with the current threshold without learning from it (a provisional score)."""
        score = float(score)
        threshold = self.threshold()
        if not math.isfinite(score):
            return Decision(score, threshold, anomalous=False, valid=False)
        return Decision(score, threshold, anomalous=score > threshold, valid=True)

    def threshold(self) -> float:
        """The threshold the next score is compared with: the base threshold as the verdicts move it."""
        return self.verdicts.apply(self.base_threshold())

    def feedback(self, score: float, anomalous: bool) -> None:
        """An operator's verdict on a scored window: ``anomalous`` False for a false alarm (the threshold rises
        above ``score``), True for a missed or confirmed anomaly (the threshold stays or drops below it). A window
        scored -inf or +inf is on its side of every finite threshold, so its verdict leaves the threshold as it is
        (a detector may still learn the window: LogSentry's knowledge base)."""
        margin = float(score) - self.base_threshold()
        if math.isfinite(margin):
            self.verdicts = self.verdicts.add(margin, anomalous)

    @abstractmethod
    def base_threshold(self) -> float:
        """The kind's own threshold for the next score, before the verdicts' offset."""

    @abstractmethod
    def _observe(self, score: float) -> None:
        """Update the state with a finite score."""

    @abstractmethod
    def _fields(self) -> dict[str, Any]:
        """The JSON-serialisable state, without ``kind`` and ``version``."""

    @abstractmethod
    def _load_fields(self, state: dict[str, Any]) -> None:
        """Validate every field of ``state`` first, then replace this policy's state with it."""

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (plain floats, ints, strings, lists) tagged with ``kind`` and ``version``."""
        return {"kind": self.kind, "version": self.version, **self._fields(), "verdicts": self.verdicts.to_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace the state with one from ``state_dict``; BadInputError (and no change) when it does not fit."""
        if not isinstance(state, dict):
            raise BadInputError(f"threshold state must be a mapping, not {type(state).__name__}")
        if state.get("kind") != self.kind:
            raise BadInputError(f"threshold state is for kind {state.get('kind')!r}, not {self.kind!r}")
        if state.get("version") != self.version:
            raise BadInputError(
                f"{self.kind} threshold state has version {state.get('version')!r}; this logad reads version "
                f"{self.version}"
            )
        verdicts = Verdicts.from_dict(self.kind, state.get("verdicts", Verdicts().to_dict()))
        self._load_fields({k: v for k, v in state.items() if k not in ("kind", "version", "verdicts")})
        self.verdicts = verdicts


def run_stream(policy: ThresholdPolicy, scores: np.ndarray) -> StreamResult:
    """Feed ``scores`` through ``policy`` in order (updating it) and collect its decisions."""
    decisions = [policy.update(s) for s in np.asarray(scores, dtype=float).ravel()]
    return StreamResult(
        thresholds=np.array([d.threshold for d in decisions], dtype=float),
        anomalous=np.array([d.anomalous for d in decisions], dtype=bool),
        valid=np.array([d.valid for d in decisions], dtype=bool),
    )


def finite_scores(scores: np.ndarray, what: str) -> np.ndarray:
    """The finite values of ``scores`` as a flat float array; BadInputError naming ``what`` when there are none."""
    scores = np.asarray(scores, dtype=float).ravel()
    finite = scores[np.isfinite(scores)]
    if finite.size == 0:
        raise BadInputError(f"{what}: no finite scores among {scores.size} given")
    return finite


def check_keys(state: dict[str, Any], kind: str, expected: set[str]) -> None:
    """BadInputError when ``state`` lacks one of ``expected`` or holds others."""
    missing, unknown = sorted(expected - set(state)), sorted(set(state) - expected)
    if missing or unknown:
        raise BadInputError(
            f"{kind} threshold state: missing field(s) [{', '.join(missing)}], unknown field(s) [{', '.join(unknown)}]"
        )


def read_float(state: dict[str, Any], kind: str, name: str, low: float = -math.inf, high: float = math.inf) -> float:
    """Field ``name`` as a finite float in [low, high]."""
    value = state[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and low <= value <= high)
    ):
        raise BadInputError(
            f"{kind} threshold state: {name} must be a finite number in [{low:g}, {high:g}], not {value!r}"
        )
    return float(value)


def read_int(state: dict[str, Any], kind: str, name: str, low: int = 1) -> int:
    """Field ``name`` as an int >= low."""
    value = state[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise BadInputError(f"{kind} threshold state: {name} must be an integer >= {low}, not {value!r}")
    return value


def rebuild(cls: type[PolicyT], kind: str, **kwargs: Any) -> PolicyT:
    """``cls(**kwargs)`` with the constructor's ValueError turned into BadInputError about the state."""
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise BadInputError(f"{kind} threshold state: {exc}") from None


def read_array(state: dict[str, Any], kind: str, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Field ``name`` (nested lists of numbers) as a finite float array of ``shape``."""
    try:
        array = np.asarray(state[name], dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None or array.shape != shape or not np.isfinite(array).all():
        raise BadInputError(f"{kind} threshold state: {name} must be finite numbers of shape {shape}")
    return array
