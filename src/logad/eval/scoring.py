"""Score windows in batches with a progress bar, and turn scores into metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from logad.data.types import LogSequence
from logad.detectors.base import Detector
from logad.eval.metrics import classification_metrics


def score_windows(
    detector: Detector, sequences: Sequence[LogSequence], batch_size: int = 512, show_progress: bool = True
) -> np.ndarray:
    """Anomaly scores of ``sequences`` computed ``batch_size`` windows at a time."""
    parts = []
    with tqdm(total=len(sequences), desc="scoring", unit="win", disable=not show_progress, leave=False) as bar:
        for start in range(0, len(sequences), batch_size):
            batch = sequences[start : start + batch_size]
            parts.append(np.asarray(detector.score(batch), dtype=float))
            bar.update(len(batch))
    return np.concatenate(parts) if parts else np.zeros(0)


def labels_of(sequences: Sequence[LogSequence]) -> np.ndarray:
    """Labels as an int array with -1 for windows whose label is unknown."""
    return np.array([-1 if seq.label is None else seq.label for seq in sequences], dtype=int)


def metrics_for(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, Any]:
    """Metrics over the labelled windows, with the count of unlabelled ones left out."""
    known = labels >= 0
    metrics = classification_metrics(labels[known], scores[known] > threshold, scores[known])
    metrics["threshold"] = float(threshold)
    metrics["unlabelled"] = int((~known).sum())
    return metrics
