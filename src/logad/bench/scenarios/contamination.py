"""`logad bench contamination`: how much an unlabelled, contaminated validation set moves an unsupervised
detector's static threshold.

For each unsupervised contender on HDFS_2pct (trained on normal windows only), the static threshold is chosen
twice without labels, as a team without labels would: on the validation windows labelled normal ("clean"), and
on the same windows plus anomalous windows making ``CONTAMINATION`` of them ("contaminated"; the anomalies come
from the validation and training parts, which an unsupervised model never trained on). Both are applied to the
same test windows.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite.data import split_of
from logad.bench.suite.evaluate import score
from logad.bench.suite.models import fitted_models, loaded
from logad.bench.suite.run import SuiteRun
from logad.eval.metrics import classification_metrics
from logad.eval.scoring import labels_of
from logad.threshold.selection import choose_threshold

CONTAMINATION = 0.05
_COLUMNS = [
    "contender",
    "validation windows",
    "contaminated with",
    "clean threshold",
    "contaminated threshold",
    "clean f1",
    "contaminated f1",
    "f1 change",
]


@register_scenario("contamination")
def contamination_scenario(args: argparse.Namespace) -> BenchResult:
    return contamination(SuiteRun.from_args(args))


def contamination(run: SuiteRun) -> BenchResult:
    dataset = run.sessions
    split = split_of(dataset)
    normal = [w for w in split.validation if w.label == 0]
    anomalous = [w for w in split.train + split.validation if w.label == 1]
    wanted = round(CONTAMINATION * len(normal) / (1.0 - CONTAMINATION))
    picked = np.random.default_rng(run.seed).choice(len(anomalous), min(wanted, len(anomalous)), replace=False)
    added = [anomalous[i] for i in sorted(picked.tolist())]
    test_labels = labels_of(split.test)
    rows, notes = [], []
    unsupervised = [c for c in run.contenders if not c.supervised]
    for fitted in fitted_models(dataclasses.replace(run, contenders=unsupervised), dataset, notes):
        with loaded(fitted) as model:
            clean, extra, test = score(model, normal), score(model, added), score(model, split.test)
        thresholds = [choose_threshold(scores, None, 0.0, supervised=False) for scores in (clean, np.r_[clean, extra])]
        f1 = [classification_metrics(test_labels, test > choice.value)["f1"] for choice in thresholds]
        rows.append(
            {
                "contender": fitted.contender.name,
                "validation windows": len(normal) + len(added),
                "contaminated with": len(added),
                "clean threshold": thresholds[0].value,
                "contaminated threshold": thresholds[1].value,
                "clean f1": f1[0],
                "contaminated f1": f1[1],
                "f1 change": f1[1] - f1[0],
            }
        )
    return BenchResult(
        title=f"Unlabelled validation with {CONTAMINATION:.0%} anomalies: the unsupervised static threshold",
        columns=_COLUMNS,
        rows=rows,
        meta={**run.meta(), "dataset": dataset.name, "split": dataset.split, "contamination": CONTAMINATION},
        notes=[
            f"{dataset.name}, {dataset.split}: thresholds chosen without labels (the 0.995 quantile of the scores "
            "left after trimming those beyond Tukey's far-out fence, Q3 + 3 IQR), on the validation windows "
            f"labelled normal (clean) and on those plus {len(added)} anomalous windows ({CONTAMINATION:.0%} of the "
            "set; drawn from the validation and training parts, which unsupervised contenders never train on). "
            "F1 on the test windows at each threshold.",
            *notes,
        ],
    )
