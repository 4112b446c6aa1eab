"""`logad bench partial`: the fitted HDFS_2pct models scored on each test session cut to its first 5, 10 and 20
events, as a tenant's provisional scores of open sessions are: how early a detector can tell, and how many false
alarms it raises on sessions that have not finished. Each contender is measured as trained on whole sessions and as
trained on their prefixes too (``TrainConfig.prefix_events``); a session keeps its whole label."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite.data import split_of
from logad.bench.suite.evaluate import score
from logad.bench.suite.models import Fitted, loaded, try_fit
from logad.bench.suite.run import SuiteRun
from logad.bench.transforms import partial
from logad.data.types import LogSequence
from logad.eval.scoring import labels_of, metrics_for

FIRST_EVENTS = (5, 10, 20)
COMPLETE = "all"
_COLUMNS = [
    "contender",
    "trained on",
    "first events",
    "mean length",
    "f1",
    "roc_auc",
    "false alarms",
    "FA/1000",
    "FA x complete",
]


@register_scenario("partial")
def partial_scenario(args: argparse.Namespace) -> BenchResult:
    return partial_sessions(SuiteRun.from_args(args))


def partial_sessions(run: SuiteRun) -> BenchResult:
    dataset = run.sessions
    test = split_of(dataset).test
    cuts: dict[str, list[LogSequence]] = {COMPLETE: list(test), **{str(n): partial(test, n) for n in FIRST_EVENTS}}
    rows, notes = [], []
    for contender in run.contenders:
        for prefixes in ((), FIRST_EVENTS):
            fitted = try_fit(run, contender, dataset, notes, prefixes)
            if fitted is not None:
                rows += _rows(fitted, cuts, "whole sessions" if not prefixes else "+ prefixes 5/10/20")
    return BenchResult(
        title=f"Partial sessions: {dataset.name} test windows cut to their first events (preset {run.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={**run.meta(), "dataset": dataset.name, "test_windows": len(test), "first_events": list(FIRST_EVENTS)},
        notes=[
            "Each test session is cut to its first N events and keeps its label, so an anomalous session whose "
            "anomalous events come later still counts as anomalous (what early detection is measured against). "
            "Every row judges scores against the threshold a new tenant is served (the served kind's state after "
            "validation, chosen on whole validation sessions), which is what a provisional score is compared with; "
            "FA/1000 is false alarms per 1,000 windows and FA x complete its ratio to the whole sessions' of the "
            "same model (the target: at most 2). 'whole sessions': trained as `logad train` does by default; "
            "'+ prefixes': also on the first 5, 10 and 20 events of each normal training session "
            "(`prefix_events: [5, 10, 20]`).",
            *notes,
        ],
    )


def _rows(fitted: Fitted, cuts: dict[str, list[LogSequence]], trained_on: str) -> list[dict[str, Any]]:
    """One row per cut of ``fitted``'s test windows, at the threshold a new tenant is served."""
    rows = []
    with loaded(fitted) as model:
        threshold = model.threshold_policy().threshold()
        for cut, windows in cuts.items():
            metrics = metrics_for(score(model, windows), labels_of(windows), threshold)
            rows.append(
                {
                    "contender": fitted.contender.name,
                    "trained on": trained_on,
                    "first events": cut,
                    "mean length": round(float(np.mean([len(w) for w in windows])), 1),
                    "f1": metrics["f1"],
                    "roc_auc": metrics["roc_auc"],
                    "false alarms": metrics["fp"],
                    "FA/1000": round(1000 * metrics["fp"] / max(metrics["n"], 1), 2),
                }
            )
    complete = rows[0]["FA/1000"]
    for row in rows:
        row["FA x complete"] = round(row["FA/1000"] / complete, 2) if complete else None
    return rows
