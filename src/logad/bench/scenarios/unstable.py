"""`logad bench unstable`: the fitted HDFS_2pct models scored on the test windows made unstable (LogRobust's
mutations: reworded messages, duplicated, dropped or swapped events) at 5%, 10% and 20%, beside the clean ones."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite.data import split_of
from logad.bench.suite.evaluate import METRIC_COLUMNS, evaluate, metric_cells
from logad.bench.suite.models import fitted_models, loaded
from logad.bench.suite.run import SuiteRun
from logad.bench.transforms import UnstableReport, unstable_with_report

RATES = (0.0, 0.05, 0.1, 0.2)
_COLUMNS = ["rate", "contender", "changed windows", *METRIC_COLUMNS]


@register_scenario("unstable")
def unstable_scenario(args: argparse.Namespace) -> BenchResult:
    return unstable(SuiteRun.from_args(args))


def unstable(run: SuiteRun) -> BenchResult:
    dataset = run.sessions
    test = split_of(dataset).test
    variants = {
        rate: unstable_with_report(test, rate, np.random.default_rng((run.seed, round(rate * 100)))) for rate in RATES
    }
    changed = {
        rate: sum(new.messages != old.messages for new, old in zip(windows, test, strict=True))
        for rate, (windows, _) in variants.items()
    }
    rows, notes = [], []
    for fitted in fitted_models(run, dataset, notes):
        with loaded(fitted) as model:
            for rate, (windows, _) in variants.items():
                _, metrics = evaluate(model, windows)
                rows.append(
                    {
                        "rate": f"{rate:.0%}",
                        "contender": fitted.contender.name,
                        "changed windows": changed[rate],
                        **metric_cells(metrics),
                    }
                )
    return BenchResult(
        title=f"Unstable logs: {dataset.name} test windows mutated (preset {run.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={
            **run.meta(),
            "dataset": dataset.name,
            "test_windows": len(test),
            "mutations": {f"{rate:.0%}": _report(report) for rate, (_, report) in variants.items()},
        },
        notes=[
            "Each rate mutates that share of the test events' messages (one word inserted, removed or replaced) and "
            "then that share of the test windows (one event duplicated or removed, or two neighbours swapped); "
            "labels stay. Every contender scores the same mutated windows with its static threshold from the clean "
            "validation windows; 0% is the clean test part. changed windows: windows whose messages differ.",
            *notes,
        ],
    )


def _report(report: UnstableReport) -> dict:
    """The mutation report with the shares of events and windows mutated."""
    return {
        **dataclasses.asdict(report),
        "mutated_event_share": report.mutated_events / max(report.events, 1),
        "mutated_window_share": report.mutated_windows / max(report.windows, 1),
    }
