"""`logad bench unseen-templates`: the fitted models scored on the test windows holding a template that no window
of the training part (training + validation) has: HDFS_2pct, BGL_2k and the synthetic drift log, whose reworded
messages after the drift point are normal and whose ``new_template`` anomalies are not."""

from __future__ import annotations

import argparse

from logad.bench.common import Dataset
from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite.data import split_of
from logad.bench.suite.evaluate import evaluate
from logad.bench.suite.models import fitted_models, loaded
from logad.bench.suite.run import SuiteRun
from logad.bench.transforms import unseen_template_windows
from logad.data.types import LogSequence
from logad.eval.scoring import labels_of
from logad.jobs.train_config import TrainConfig
from logad.parsing.preprocessor import Preprocessor

_COLUMNS = [
    "dataset",
    "contender",
    "windows",
    "anomalies",
    "precision",
    "recall",
    "f1",
    "false alarms",
    "served kind",
    "served f1",
]


@register_scenario("unseen-templates")
def unseen_templates_scenario(args: argparse.Namespace) -> BenchResult:
    return unseen_templates(SuiteRun.from_args(args))


def unseen_templates(run: SuiteRun) -> BenchResult:
    rows, notes, counts = [], [], {}
    for dataset in [*run.datasets, run.drift]:
        split = split_of(dataset)
        subset = unseen_subset(dataset)
        anomalies = int((labels_of(subset) == 1).sum())
        counts[dataset.name] = {"test_windows": len(split.test), "unseen_windows": len(subset), "anomalies": anomalies}
        if not subset:
            notes.append(f"{dataset.name}: no test window holds a template unseen in training; nothing to score.")
            continue
        for fitted in fitted_models(run, dataset, notes):
            with loaded(fitted) as model:
                _, metrics = evaluate(model, subset)
            rows.append(
                {
                    "dataset": dataset.name,
                    "contender": fitted.contender.name,
                    "windows": len(subset),
                    "anomalies": anomalies,
                    "precision": metrics["precision"],
                    "recall": metrics["recall"],
                    "f1": metrics["f1"],
                    "false alarms": metrics["fp"],
                    "served kind": metrics["served"]["kind"],
                    "served f1": metrics["served"]["f1"],
                }
            )
    return BenchResult(
        title=f"Unseen templates: test windows with a template absent from training (preset {run.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={**run.meta(), "subsets": counts},
        notes=[
            "Seen templates: those of the training and validation windows, as a template store fitted on them "
            "(logad's default masking and Drain) groups the messages; a test message it cannot match counts as "
            "unseen. Each contender keeps its static threshold from validation. false alarms: normal windows of "
            "the subset flagged anomalous (on the drift log: reworded but normal messages).",
            *notes,
        ],
    )


def unseen_subset(dataset: Dataset) -> list[LogSequence]:
    """The dataset's test windows holding a template that no window of its training part has."""
    split = split_of(dataset)
    seen = split.train + split.validation
    preprocessor = Preprocessor(TrainConfig().preprocess)
    preprocessor.fit(message for seq in seen for message in seq.messages)
    return unseen_template_windows(seen, split.test, preprocessor)
