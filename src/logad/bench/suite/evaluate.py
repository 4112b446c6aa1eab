"""Scoring windows with a fitted model and the metric cells every suite table shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from logad.artifact import LoadedModel
from logad.data.types import LogSequence
from logad.eval.scoring import labels_of, metrics_for, score_windows
from logad.train.config import TrainConfig

METRIC_COLUMNS = ["precision", "recall", "f1", "roc_auc", "pr_auc"]


def score(model: LoadedModel, windows: Sequence[LogSequence]) -> np.ndarray:
    """Anomaly scores of ``windows``, in batches as `logad train` scores them."""
    return score_windows(model.detector, windows, TrainConfig().score_batch_size, show_progress=False)


def evaluate(model: LoadedModel, windows: Sequence[LogSequence]) -> tuple[np.ndarray, dict[str, Any]]:
    """Scores of ``windows`` and their metrics at the model's static threshold (chosen on validation windows)."""
    scores = score(model, windows)
    return scores, metrics_for(scores, labels_of(windows), model.threshold)


def metric_cells(metrics: dict[str, Any]) -> dict[str, Any]:
    """The ``METRIC_COLUMNS`` of a metrics dict."""
    return {column: metrics[column] for column in METRIC_COLUMNS}
