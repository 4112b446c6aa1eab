"""`logad bench partial`: the fitted HDFS_2pct models scored on each test session cut to its first 5, 10 and 20
events: how early a detector can tell (a session keeps its whole label)."""

from __future__ import annotations

import argparse

from logad.bench.registry import BenchResult, register_scenario
from logad.bench.suite.data import split_of
from logad.bench.suite.evaluate import METRIC_COLUMNS, evaluate, metric_cells
from logad.bench.suite.models import fitted_models, loaded
from logad.bench.suite.run import SuiteRun
from logad.bench.transforms import partial

FIRST_EVENTS = (5, 10, 20)
_COLUMNS = ["first events", "contender", "mean length", *METRIC_COLUMNS]


@register_scenario("partial")
def partial_scenario(args: argparse.Namespace) -> BenchResult:
    return partial_sessions(SuiteRun.from_args(args))


def partial_sessions(run: SuiteRun) -> BenchResult:
    dataset = run.sessions
    test = split_of(dataset).test
    cuts = {n: partial(test, n) for n in FIRST_EVENTS}
    lengths = {n: sum(map(len, windows)) / max(len(windows), 1) for n, windows in cuts.items()}
    rows, notes = [], []
    for fitted in fitted_models(run, dataset, notes):
        with loaded(fitted) as model:
            for n, windows in cuts.items():
                _, metrics = evaluate(model, windows)
                rows.append(
                    {
                        "first events": n,
                        "contender": fitted.contender.name,
                        "mean length": lengths[n],
                        **metric_cells(metrics),
                    }
                )
    return BenchResult(
        title=f"Partial sessions: {dataset.name} test windows cut to their first events (preset {run.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={**run.meta(), "dataset": dataset.name, "test_windows": len(test), "first_events": list(FIRST_EVENTS)},
        notes=[
            "Each test session is cut to its first N events and keeps its label, so an anomalous session whose "
            "anomalous events come later still counts as anomalous (what early detection is measured against). "
            "Thresholds are the static ones chosen on whole validation sessions; models are trained on whole "
            "sessions. The standard scenario has the whole-session numbers.",
            *notes,
        ],
    )
