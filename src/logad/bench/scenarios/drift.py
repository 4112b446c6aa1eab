"""`logad bench drift`: every threshold kind of every contender on drifting test streams, with and without an
operator's feedback on its first mistakes after the drift point.

Streams (test windows in time order, the drift point in the middle):

* ``synthetic``: a synthetic HDFS log trained before its drift point (reworded messages, traffic three times
  faster), the rest as the test part;
* ``stable``: HDFS_2pct's test windows as they are (chrono 0.8);
* ``reworded``: the same, the second half's messages reworded as an upgrade would (``REWORD_SHARE`` of them, a
  consistent renaming of words: ``logad.data.rewording``) and scored again;
* ``level``: the same, the second half's scores raised by ``LEVEL_SHIFT`` robust spreads of the validation normal
  scores.

Each fitted kind (static, ewma, dtpm, spot, dspot; the served one marked) is replayed from its post-validation state,
once alone and once with feedback: from the drift point on, the first ``FEEDBACK_BUDGET`` wrong decisions get the
operator's verdict right after them (``logad.eval.replay``); a detector that learns from feedback (LogSentry's
knowledge base) learns those windows too, in a copy of the model. Reported: F1, false alarms per 1,000 windows and
the windows the stream took to recover after the drift point.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from logad.artifact import LoadedModel, load_artifact
from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite import arrays
from logad.bench.suite.data import DRIFT_AT, drift_time, split_of
from logad.bench.suite.evaluate import score
from logad.bench.suite.models import Fitted, fitted_models, loaded
from logad.bench.suite.run import SuiteRun
from logad.data.rewording import reword, upgrade_rewording
from logad.data.types import LogSequence
from logad.eval.replay import LazyScores, replay, replay_metrics
from logad.eval.scoring import labels_of
from logad.eval.streaming import time_order
from logad.threshold import KINDS, threshold_from_state
from logad.threshold.choice import LEVEL_SHIFT
from logad.threshold.robust import robust_spread

REWORD_SHARE = 0.3
FEEDBACK_BUDGET = 10
_COLUMNS = [
    "stream",
    "contender",
    "threshold",
    "feedback",
    "precision",
    "recall",
    "f1",
    "false alarms / 1000",
    "recovery windows",
    "threshold range",
]


@dataclass
class DriftStream:
    """Test windows in time order (messages as the stream has them), what is added to each score, the labels and
    the index of the first window after the drift point."""

    name: str
    windows: list[LogSequence]
    offsets: np.ndarray
    labels: np.ndarray
    point: int


@register_scenario("drift")
def drift_scenario(args: argparse.Namespace) -> BenchResult:
    return drift(SuiteRun.from_args(args))


def drift(run: SuiteRun) -> BenchResult:
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    saved: dict[str, np.ndarray] = {}
    families = {
        "synthetic": lambda: (run.drift, [_synthetic(run.drift)]),
        "real": lambda: (run.sessions, _hdfs_streams(run.sessions, run.seed)),
    }
    real: list[DriftStream] = []
    for family in run.drift_streams:
        dataset, streams = families[family]()
        real = streams if family == "real" else real
        for fitted in fitted_models(run, dataset, notes):
            with loaded(fitted) as model:
                for stream in streams:
                    rows += _measure(fitted, model, _with_offsets(model, dataset, stream), saved)
    return BenchResult(
        title=f"Drift: every threshold kind on drifting test streams, with and without feedback (preset {run.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={
            **run.meta(),
            "datasets": {run.drift.name: run.drift.split, run.sessions.name: run.sessions.split},
            "drift_at": DRIFT_AT,
            "reword_share": REWORD_SHARE,
            "streams": list(run.drift_streams),
            "reworded_share_of_second_half": round(_reworded_share(real), 4) if real else None,
            "level_shift_spreads": LEVEL_SHIFT,
            "feedback_budget": FEEDBACK_BUDGET,
            "kinds": list(KINDS),
        },
        notes=[
            f"Streams: `synthetic` ({run.drift_blocks}-block synthetic HDFS log, seed {run.seed}, drifting at "
            f"{DRIFT_AT:.0%} of its time span; every training and validation window starts before it); `stable`, "
            f"`reworded` and `level`: {run.sessions.name}'s test windows in time order, the second half as it is, "
            f"with its messages reworded by a simulated upgrade ({REWORD_SHARE:.0%} of messages: words renamed "
            f"consistently) or with its scores raised by {LEVEL_SHIFT:g} robust spreads of the validation normal "
            "scores.",
            "Each kind starts from its state after validation (the static threshold chosen there is every kind's "
            "anchor); `(served)` marks the kind training chose. Feedback 10: from the drift point on, the first 10 "
            "wrong decisions (false alarms or misses) get the operator's verdict right after them, and LogSentry "
            "also adds those windows to its knowledge base. Recovery windows: windows after the drift point until "
            "the false alarms among the last 100 are back at the rate before it plus one (0: they never rose; -: "
            "not within the stream).",
            *notes,
        ],
        arrays=saved,
    )


def _reworded_share(real: list[DriftStream]) -> float:
    """Share of the reworded stream's second-half messages that differ from the stable stream's."""
    stable, reworded = real[0], real[1]
    changed = [m for window in reworded.windows[reworded.point :] for m in window.messages]
    original = [m for window in stable.windows[reworded.point :] for m in window.messages]
    return float(np.mean([a != b for a, b in zip(original, changed, strict=True)])) if original else 0.0


def _synthetic(dataset: Any) -> DriftStream:
    test = split_of(dataset).test
    ordered = [test[i] for i in time_order(test)]
    starts = np.array([w.start_time for w in ordered], dtype=float)
    point = int(np.searchsorted(starts, drift_time(dataset)))
    return DriftStream("synthetic", ordered, np.zeros(len(ordered)), labels_of(ordered), point)


def _hdfs_streams(dataset: Any, seed: int) -> list[DriftStream]:
    """The stable, reworded and level-shifted HDFS_2pct test streams (module docstring; the level stream's offsets
    depend on the model, ``_with_offsets`` sets them)."""
    test = split_of(dataset).test
    ordered = [test[i] for i in time_order(test)]
    labels, point, zeros = labels_of(ordered), len(ordered) // 2, np.zeros(len(ordered))
    messages = [m for window in ordered for m in window.messages]
    mapping = upgrade_rewording(messages, REWORD_SHARE, np.random.default_rng([seed, 22]))
    return [
        DriftStream("stable", ordered, zeros, labels, point),
        DriftStream("reworded", ordered[:point] + reword(ordered[point:], mapping), zeros, labels, point),
        DriftStream("level", ordered, zeros, labels, point),
    ]


def _with_offsets(model: LoadedModel, dataset: Any, stream: DriftStream) -> DriftStream:
    """``stream`` with the level shift of ``model``'s scores: ``LEVEL_SHIFT`` robust spreads of its validation normal
    scores added from the drift point on (other streams unchanged)."""
    if stream.name != "level":
        return stream
    normal = score(model, [w for w in split_of(dataset).validation if w.label != 1])
    after = np.arange(len(stream.windows)) >= stream.point
    offsets = np.where(after, LEVEL_SHIFT * (robust_spread(normal) or 1.0), 0.0)
    return dataclasses.replace(stream, offsets=offsets)


def _measure(fitted: Fitted, model: LoadedModel, stream: DriftStream, saved: dict[str, np.ndarray]) -> list[dict]:
    """Rows of every fitted kind with and without feedback on ``stream``; saves the scores and traces."""
    name, served = fitted.contender.name, model.manifest.threshold.get("kind", "static")
    scores = _scorer(model, stream)
    fixed = np.array([scores[i] for i in range(len(stream.windows))])
    saved[arrays.drift_key(stream.name, "labels")] = stream.labels
    saved[arrays.drift_key(stream.name, "point")] = np.array(stream.point)
    saved[arrays.drift_scores_key(stream.name, name)] = fixed
    rows = []
    for kind in (kind for kind in KINDS if kind in model.threshold_states):
        for budget in (0, FEEDBACK_BUDGET):
            policy = threshold_from_state(model.threshold_states[kind])
            with _learner(fitted, model, budget, stream) as (source, learn):
                result = replay(policy, fixed if source is None else source, stream.labels, stream.point, budget, learn)
            metrics = replay_metrics(result, stream.labels, stream.point)
            if budget == 0:
                saved[arrays.drift_trace_key(stream.name, name, kind)] = result.thresholds
            finite = result.thresholds[np.isfinite(result.thresholds)]
            rows.append(
                {
                    "stream": stream.name,
                    "contender": name,
                    "threshold": f"{kind} (served)" if kind == served else kind,
                    "feedback": budget,
                    "precision": metrics["precision"],
                    "recall": metrics["recall"],
                    "f1": metrics["f1"],
                    "false alarms / 1000": metrics["false_alarms_per_1000"],
                    "recovery windows": metrics["recovery"],
                    "threshold range": f"{finite.min():.4g} .. {finite.max():.4g}" if finite.size else None,
                }
            )
    return rows


def _scorer(model: LoadedModel, stream: DriftStream) -> LazyScores:
    """Scores of the stream's windows (for the training tenant, whose knowledge base the model was built with)."""
    tenant = getattr(model.detector.config, "tenant", "default")

    def scores_of(positions: list[int]) -> np.ndarray:
        windows = [stream.windows[i] for i in positions]
        return np.asarray(model.detector.score_tenant(windows, tenant), dtype=float) + stream.offsets[positions]

    return LazyScores(scores_of, len(stream.windows), chunk=512)


@contextmanager
def _learner(
    fitted: Fitted, model: LoadedModel, budget: int, stream: DriftStream
) -> Iterator[tuple[LazyScores | None, Callable[[int], None] | None]]:
    """(scores, ``learn(i)``) of a copy of the model that learns the windows verdicts are given on, when the detector
    learns from feedback and verdicts are given (so the cached model stays as trained); (None, None) otherwise."""
    if not budget or not getattr(model.detector, "learns_from_feedback", False):
        yield None, None
        return
    with tempfile.TemporaryDirectory(prefix="logad-drift-") as folder:
        copy = Path(folder) / "model"
        model.detector.close()  # milvus-lite lets one process hold a database at a time
        shutil.copytree(fitted.path, copy)
        learner = load_artifact(copy)
        tenant = getattr(learner.detector.config, "tenant", "default")
        try:
            yield _scorer(learner, stream), lambda i: learner.detector.learn_feedback([stream.windows[i]], tenant)
        finally:
            learner.detector.close()
