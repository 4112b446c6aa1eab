"""Training chooses the served threshold kind on the validation windows, stable and under simulated shifts.

Each fitted kind is replayed from its fitted state over validation streams in time order (training fits the kinds
on the earlier half of the validation windows and gives the later half here, so the choice is made out of sample:
``logad.jobs.thresholds``):

* ``stable``: the windows as they are;
* ``level``: from the middle on, every score raised by ``LEVEL_SHIFT`` robust spreads of the normal scores (a
  tenth of the anchor's distance from their median where they all tie);
* ``scale``: from the middle on, every score's distance from the normal median multiplied by ``SCALE_FACTOR``;
* ``reworded`` (when the caller gives it): from the middle on, the windows' messages reworded as an upgrade would
  and scored again by the model (``logad.data.rewording``).

Only labelled windows count, but every window passes through the policy. A kind's merit is its mean F1 over the
streams; the kind with the best merit is served among those whose stable F1 is at most ``choice_margin`` below
static's, ties going to the kind listed first (static). The drift-following kinds hold the anchor on a stable
stream, so they differ from static where the streams shift, which is what the merit rewards. Without labelled
anomalies in validation no F1 can be measured and static is served.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from logad.threshold.config import AUTO, ThresholdConfig
from logad.threshold.factory import threshold_from_state
from logad.threshold.policy import run_stream
from logad.threshold.robust import robust_spread

LEVEL_SHIFT, SCALE_FACTOR = 3.0, 2.0
STATIC = "static"


@dataclass(frozen=True)
class ValidationStream:
    """Scores of validation windows in time order (a stream a kind is replayed on) and their labels (-1: unknown)."""

    name: str
    scores: np.ndarray
    labels: np.ndarray


def simulated_streams(scores: np.ndarray, labels: np.ndarray, anchor: float) -> list[ValidationStream]:
    """The stable stream and its level- and scale-shifted copies (module docstring); ``scores`` in time order."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels)
    normal = scores[(labels != 1) & np.isfinite(scores)]
    median = float(np.median(normal)) if normal.size else 0.0
    spread = robust_spread(normal) or abs(anchor - median) / 10 or 1.0
    after = np.arange(len(scores)) >= len(scores) // 2
    level = np.where(after, scores + LEVEL_SHIFT * spread, scores)
    scale = np.where(after, median + SCALE_FACTOR * (scores - median), scores)
    return [
        ValidationStream("stable", scores, labels),
        ValidationStream("level", level, labels),
        ValidationStream("scale", scale, labels),
    ]


@dataclass(frozen=True)
class KindChoice:
    """The served kind, why, and each kind's F1 and false alarms per 1,000 windows on each validation stream."""

    kind: str
    why: str
    table: dict[str, dict[str, dict[str, float]]]

    def to_dict(self) -> dict[str, Any]:
        return {"served": self.kind, "why": self.why, "validation": self.table}


def replay(states: dict[str, dict[str, Any]], streams: Iterable[ValidationStream]) -> dict[str, dict[str, Any]]:
    """F1 and false alarms per 1,000 labelled windows of every kind (rebuilt fresh from its state) on every stream."""
    table: dict[str, dict[str, Any]] = {kind: {} for kind in states}
    for stream in streams:
        known = stream.labels >= 0
        for kind, state in states.items():
            decided = run_stream(threshold_from_state(state), stream.scores).anomalous[known]
            truth = stream.labels[known] == 1
            true_alarms, false_alarms = int((decided & truth).sum()), int((decided & ~truth).sum())
            f1 = 2 * true_alarms / (decided.sum() + truth.sum()) if true_alarms else 0.0
            table[kind][stream.name] = {
                "f1": round(float(f1), 4),
                "false_alarms_per_1000": round(1000.0 * false_alarms / max(int(known.sum()), 1), 2),
            }
    return table


def choose_kind(
    config: ThresholdConfig,
    states: dict[str, dict[str, Any]],
    streams: list[ValidationStream],
    skipped: dict[str, str] | None = None,
) -> KindChoice:
    """The kind to serve (module docstring); ``config.kind`` when it names one that could be fitted (``skipped``
    says why the others could not)."""
    table = replay(states, streams)
    if config.kind in states:
        return KindChoice(config.kind, f"{config.kind}: set in the run config (threshold.kind)", table)
    if config.kind != AUTO:
        reason = (skipped or {}).get(config.kind, "not fitted")
        return KindChoice(
            STATIC, f"static: the run config asks for {config.kind}, which could not be fitted ({reason})", table
        )
    if not any(((stream.labels == 1).any() and (stream.labels == 0).any()) for stream in streams):
        why = "static: validation holds no labelled anomalies, so no kind can show that it keeps recall"
        return KindChoice(STATIC, why, table)
    mean = {kind: float(np.mean([row["f1"] for row in rows.values()])) for kind, rows in table.items()}
    stable = {kind: rows["stable"]["f1"] for kind, rows in table.items()}
    margin = config.choice_margin
    eligible = [kind for kind in states if stable[kind] >= stable[STATIC] - margin]
    best = max(eligible, key=lambda kind: (mean[kind], -list(states).index(kind)))
    names = "/".join(stream.name for stream in streams)
    if best != STATIC:
        why = (
            f"{best}: mean validation F1 {mean[best]:.3f} over {names} streams against static's {mean[STATIC]:.3f} "
            f"(stable {stable[best]:.3f} vs {stable[STATIC]:.3f})"
        )
        return KindChoice(best, why, table)
    runner_up = max((k for k in states if k != STATIC), key=lambda k: mean[k], default=None)
    versus = f"; no other kind does better (best: {runner_up} {mean[runner_up]:.3f})" if runner_up else ""
    return KindChoice(STATIC, f"static: mean validation F1 {mean[STATIC]:.3f} over {names} streams{versus}", table)
