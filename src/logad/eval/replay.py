"""Replay a scored stream through a threshold policy with a simulated operator who corrects its first mistakes.

From ``feedback_from`` on (the drift point), the operator's verdict on each of the first ``budget`` wrong
decisions (a false alarm or a missed anomaly) reaches the policy right after the decision, as `logad feedback`
would send it, and a detector that learns from feedback (LogSentry's knowledge base) learns that window too; the
windows after it are then scored again. Also measures how long the stream takes to recover from the drift.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from logad.eval.metrics import classification_metrics
from logad.threshold import ThresholdPolicy

RECOVERY_WINDOW = 100
"""Windows over which the false-alarm rate after the drift point is compared with the rate before it."""


class LazyScores:
    """Scores of a stream computed ``chunk`` windows at a time on first use; ``forget_after(i)`` drops those after
    window ``i`` (the detector learnt something, so they would differ now)."""

    def __init__(self, score: Callable[[list[int]], np.ndarray], length: int, chunk: int = 128) -> None:
        self._score, self._length, self._chunk = score, length, chunk
        self._known: dict[int, float] = {}

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> float:
        if index not in self._known:
            positions = list(range(index, min(index + self._chunk, self._length)))
            self._known.update(zip(positions, np.asarray(self._score(positions), dtype=float).tolist(), strict=True))
        return self._known[index]

    def forget_after(self, index: int) -> None:
        self._known = {i: s for i, s in self._known.items() if i <= index}


@dataclass
class Replay:
    """Per window: the score the policy saw, its threshold and decision; and the windows that got a verdict."""

    scores: np.ndarray
    thresholds: np.ndarray
    anomalous: np.ndarray
    verdicts: list[int]


def replay(
    policy: ThresholdPolicy,
    scores: Sequence[float] | LazyScores,
    labels: np.ndarray,
    feedback_from: int = 0,
    budget: int = 0,
    learn: Callable[[int], None] | None = None,
) -> Replay:
    """Stream ``scores`` through ``policy``; the operator corrects the first ``budget`` mistakes on labelled windows
    from ``feedback_from`` on (``learn(i)`` teaches the detector window ``i``; lazy scores are then recomputed)."""
    seen, thresholds, decided, verdicts = [], [], [], []
    for i in range(len(scores)):
        score = scores[i]
        decision = policy.update(score)
        seen.append(score)
        thresholds.append(decision.threshold)
        decided.append(decision.anomalous)
        wrong = labels[i] >= 0 and decision.anomalous != (labels[i] == 1)
        if wrong and i >= feedback_from and len(verdicts) < budget:
            policy.feedback(score, bool(labels[i] == 1))
            verdicts.append(i)
            if learn is not None:
                learn(i)
                if isinstance(scores, LazyScores):
                    scores.forget_after(i)
    return Replay(
        np.array(seen, dtype=float), np.array(thresholds, dtype=float), np.array(decided, dtype=bool), verdicts
    )


def replay_metrics(result: Replay, labels: np.ndarray, drift_point: int) -> dict[str, Any]:
    """F1 and the rest over the labelled windows, false alarms per 1,000 of them, verdicts given, and the windows
    the stream took to ``recovery`` after ``drift_point`` (``recovery_windows``)."""
    known = labels >= 0
    metrics = classification_metrics(labels[known], result.anomalous[known], result.scores[known])
    metrics["false_alarms_per_1000"] = 1000.0 * metrics["fp"] / max(int(known.sum()), 1)
    false_alarms = result.anomalous & (labels == 0)
    before = float(false_alarms[:drift_point].mean()) if drift_point else 0.0
    metrics["recovery"] = recovery_windows(false_alarms[drift_point:], before * RECOVERY_WINDOW + 1.0)
    metrics["verdicts"] = len(result.verdicts)
    return metrics


def recovery_windows(false_alarms: np.ndarray, allowed: float) -> int | None:
    """Windows from the drift point until the false alarms among the last ``RECOVERY_WINDOW`` windows are back at
    ``allowed`` (the rate before the drift point plus one) after first rising above it; 0 when they never rose,
    None when they never came back within the stream."""
    counts = np.cumsum(np.asarray(false_alarms, dtype=float))
    trailing = counts - np.r_[np.zeros(RECOVERY_WINDOW), counts[:-RECOVERY_WINDOW]][: len(counts)]
    above = np.flatnonzero(trailing > allowed)
    if not above.size:
        return 0
    calm = np.flatnonzero(trailing[above[0] :] <= allowed)
    return int(above[0] + calm[0] + 1) if calm.size else None
