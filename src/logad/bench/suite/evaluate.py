"""Scoring windows with a fitted model and the metric cells every suite table shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from logad.artifact import LoadedModel
from logad.data.types import LogSequence
from logad.eval.scoring import labels_of, metrics_for, score_windows
from logad.eval.streaming import stream_metrics
from logad.jobs.train_config import TrainConfig

METRIC_COLUMNS = ["precision", "recall", "f1", "roc_auc", "pr_auc", "served kind", "served f1"]
"""At the static threshold chosen on validation, then the kind training chose to serve, streamed in time order."""


def score(model: LoadedModel, windows: Sequence[LogSequence]) -> np.ndarray:
    """Anomaly scores of ``windows``, in batches as `logad train` scores them."""
    return score_windows(model.detector, windows, TrainConfig().score_batch_size, show_progress=False)


def evaluate(model: LoadedModel, windows: Sequence[LogSequence]) -> tuple[np.ndarray, dict[str, Any]]:
    """Scores of ``windows`` and their metrics at the model's static threshold (chosen on validation windows), with
    ``served``: those of the served kind (``served_metrics``)."""
    scores = score(model, windows)
    metrics = metrics_for(scores, labels_of(windows), model.threshold)
    return scores, metrics | {"served": served_metrics(model, windows, scores)}


def served_metrics(model: LoadedModel, windows: Sequence[LogSequence], scores: np.ndarray) -> dict[str, Any]:
    """Metrics of the kind training chose to serve (``kind``), fresh from its post-validation state, over
    ``windows`` (scored ``scores``) streamed in time order as the transformer would see them."""
    policy = model.threshold_policy()
    metrics = stream_metrics(windows, scores, labels_of(windows), {policy.kind: policy.state_dict()})[policy.kind]
    return metrics | {"kind": policy.kind}


def metric_cells(metrics: dict[str, Any]) -> dict[str, Any]:
    """The ``METRIC_COLUMNS`` of ``evaluate``'s metrics."""
    served = {"served kind": metrics["served"]["kind"], "served f1": metrics["served"]["f1"]}
    return {column: metrics[column] for column in METRIC_COLUMNS if column not in served} | served
