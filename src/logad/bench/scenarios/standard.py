"""`logad bench standard`: every contender on HDFS_2pct (session windows, chrono 0.8) and BGL_2k (fixed 20- and
100-line windows): precision, recall, F1, ROC-AUC, PR-AUC at the static threshold chosen on validation windows,
and training time. Saves test scores and labels for the report's PR curves and score distributions, and LogSentry's
embeddings before and after pre-training for its t-SNE plot."""

from __future__ import annotations

import argparse

import numpy as np

from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite import arrays
from logad.bench.suite.data import split_of
from logad.bench.suite.evaluate import METRIC_COLUMNS, evaluate, metric_cells
from logad.bench.suite.models import fitted_models, loaded
from logad.bench.suite.run import SuiteRun
from logad.eval.scoring import labels_of

_COLUMNS = [
    "dataset",
    "contender",
    *METRIC_COLUMNS,
    "threshold",
    "served false alarms",
    "train s",
    "test windows",
    "anomalies",
]


@register_scenario("standard")
def standard_scenario(args: argparse.Namespace) -> BenchResult:
    return standard(SuiteRun.from_args(args))


def standard(run: SuiteRun) -> BenchResult:
    rows, notes = [], []
    saved: dict[str, np.ndarray] = {}
    for dataset in run.datasets:
        test = split_of(dataset).test
        saved[arrays.labels_key(dataset.name)] = labels_of(test)
        for fitted in fitted_models(run, dataset, notes):
            name = fitted.contender.name
            with loaded(fitted) as model:
                scores, metrics = evaluate(model, test)
                if fitted.contender.detector == "logsentry" and dataset is run.sessions:
                    from logad.bench.suite.embeddings import embedding_arrays  # needs the train extra, as LogSentry

                    saved |= embedding_arrays(model.detector, test, run.seed)
            saved[arrays.scores_key(dataset.name, name)] = scores
            saved[arrays.threshold_key(dataset.name, name)] = np.array(model.threshold)
            rows.append(
                {
                    "dataset": dataset.name,
                    "contender": name,
                    **metric_cells(metrics),
                    "threshold": model.threshold,
                    "served false alarms": metrics["served"]["fp"],
                    "train s": fitted.train_seconds,
                    "test windows": metrics["n"],
                    "anomalies": metrics["anomalies"],
                }
            )
    return BenchResult(
        title=f"Comparison: every contender on the standard splits (preset {run.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={**run.meta(), "datasets": {d.name: d.split for d in run.datasets}},
        notes=[
            "Threshold: `logad train`'s static threshold, chosen on the validation windows (last 10% of the training "
            "part): best F1 for supervised contenders, the 0.995 quantile of the normal validation scores for "
            "unsupervised ones. Served: the threshold kind training chose to serve, applied to the test windows "
            "streamed in time order (as the transformer would). "
            "Unsupervised contenders train on the normal training windows only. train s: fitting the template "
            "store and the detector (cached models keep the time of the run that trained them).",
            *notes,
        ],
        arrays=saved,
    )
