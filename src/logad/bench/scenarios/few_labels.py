"""`logad bench few-labels`: the supervised contenders retrained with 1%, 10% and 100% of the training labels on
HDFS_2pct (session windows, chrono 0.8), scored on the same test windows."""

from __future__ import annotations

import argparse
import dataclasses

from logad.bench.common import Dataset
from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite.contenders import Contender
from logad.bench.suite.data import kept_label_indices, label_subset, split_of
from logad.bench.suite.evaluate import METRIC_COLUMNS, evaluate, metric_cells
from logad.bench.suite.models import loaded, try_fit
from logad.bench.suite.run import SuiteRun
from logad.eval.scoring import labels_of

FRACTIONS = (0.01, 0.1, 1.0)
LABEL_FIELD = "label_fraction"
_COLUMNS = ["contender", "train labels", "labelled windows", "labelled anomalies", *METRIC_COLUMNS, "train s"]


@register_scenario("few-labels")
def few_labels_scenario(args: argparse.Namespace) -> BenchResult:
    return few_labels(SuiteRun.from_args(args))


def few_labels(run: SuiteRun) -> BenchResult:
    dataset = run.sessions
    split = split_of(dataset)
    train_labels = labels_of(split.train)
    supervised = [c for c in run.contenders if c.supervised]
    rows, notes = [], []
    for fraction in FRACTIONS:
        kept = kept_label_indices(dataset, fraction, run.seed)
        thinned = label_subset(dataset, fraction, run.seed, run.out / "data") if fraction < 1.0 else dataset
        for contender in supervised:
            fitted = try_fit(run, *_variant(contender, fraction, dataset, thinned), notes)
            if fitted is None:
                continue
            with loaded(fitted) as model:
                _, metrics = evaluate(model, split.test)
            rows.append(
                {
                    "contender": contender.name,
                    "train labels": f"{fraction:.0%}",
                    "labelled windows": len(kept),
                    "labelled anomalies": int((train_labels[kept] == 1).sum()),
                    **metric_cells(metrics),
                    "train s": fitted.train_seconds,
                }
            )
    return BenchResult(
        title=f"Few labels: supervised contenders on {dataset.name}, {dataset.split} (preset {run.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={**run.meta(), "dataset": dataset.name, "split": dataset.split, "fractions": list(FRACTIONS)},
        notes=[
            "Labels kept: the given share of each class of the labelled training windows (at least one window per "
            f"class), picked with the run's seed. Detectors with a `{LABEL_FIELD}` setting (LogSentry) get it; the "
            "others train on a copy of the windows whose other training labels are removed, so supervised training "
            "skips those windows. Validation labels (threshold choice) and test windows are the same in every row.",
            *notes,
        ],
    )


def _variant(contender: Contender, fraction: float, dataset: Dataset, thinned: Dataset) -> tuple[Contender, Dataset]:
    """What to train for ``fraction`` of the labels: the contender itself at 100%, else a renamed copy (its own
    cached model) with ``label_fraction`` set where the detector has it, or trained on the thinned windows."""
    if fraction >= 1.0:
        return contender, dataset
    renamed = f"{contender.name}-labels-{fraction:g}"
    if contender.has_config_field(LABEL_FIELD):
        overrides = {**contender.overrides, LABEL_FIELD: fraction}
        return dataclasses.replace(contender, name=renamed, overrides=overrides), dataset
    return dataclasses.replace(contender, name=renamed), thinned
