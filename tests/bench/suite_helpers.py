"""Helpers of the comparison-suite tests: tiny contender settings, a small run, reading saved results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from logad.bench.common import Dataset
from logad.bench.suite.contenders import Contender
from logad.bench.suite.run import SuiteRun
from logad.threshold.config import ThresholdConfig

BLOCKS = 300
TINY_DEEPLOG = {"hidden": 16, "layers": 1, "epochs": 3, "batch_size": 256, "lr": 1e-2}
TINY_THRESHOLD = ThresholdConfig(train_steps=30)
"""Every kind fitted as training does, DTPM's net trained for 30 steps instead of 300 (most of a tiny model's fit)."""


def tiny_logsentry(encoder: Path) -> dict[str, Any]:
    """LogSentry on a tiny BERT: one short pre-training and fine-tuning epoch."""
    return {
        "encoder": str(encoder),
        "max_tokens": 64,
        "pretrain_epochs": 1,
        "pretrain_batch_size": 8,
        "max_pairs_per_epoch": 16,
        "finetune_epochs": 1,
        "finetune_batch_size": 16,
        "head_hidden": 16,
    }


def new_run(out: Path, dataset: Dataset, contenders: list[Contender], **changes: Any) -> SuiteRun:
    """A suite run on ``dataset`` (preset cpu under the tiny overrides) with a small drift log and short DTPM fits."""
    defaults = {"preset": "cpu", "seed": 0, "drift_blocks": BLOCKS, "threshold": TINY_THRESHOLD}
    return SuiteRun(out, [dataset], contenders, **{**defaults, **changes})


def saved(out: Path, scenario: str) -> dict[str, Any]:
    """A scenario's JSON payload."""
    return json.loads((out / f"{scenario}.json").read_text())


def saved_arrays(out: Path, scenario: str) -> dict[str, np.ndarray]:
    """A scenario's saved arrays."""
    with np.load(out / f"{scenario}.npz") as data:
        return {key: data[key] for key in data.files}
