"""Choose a static threshold from validation scores, never from test data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ThresholdChoice:
    """A chosen threshold and a sentence saying how it was chosen (recorded in the artifact)."""

    value: float
    how: str


def choose_threshold(
    scores: np.ndarray,
    labels: np.ndarray | None,
    default: float,
    normal_quantile: float = 0.995,
) -> ThresholdChoice:
    """Best-F1 threshold when validation holds both classes, else a high quantile of normal scores.

    A window is anomalous when its score is strictly greater than the threshold.
    """
    scores = np.asarray(scores, dtype=float)
    finite = np.isfinite(scores)
    if labels is not None:
        labels = np.asarray(labels)
        has_label = finite & (labels >= 0)
        if has_label.any() and 0 < labels[has_label].sum() < has_label.sum():
            return _best_f1(scores[has_label], labels[has_label].astype(int))
        finite &= labels != 1
    if finite.any():
        value = float(np.quantile(scores[finite], normal_quantile))
        return ThresholdChoice(value, f"{normal_quantile:g} quantile of {int(finite.sum())} validation scores")
    return ThresholdChoice(default, "default: validation set empty")


def _best_f1(scores: np.ndarray, labels: np.ndarray) -> ThresholdChoice:
    """Threshold maximising F1 over the distinct validation scores (midpoints between neighbours)."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    true_positives = np.cumsum(sorted_labels)
    predicted = np.arange(1, len(scores) + 1)
    f1 = 2 * true_positives / (predicted + sorted_labels.sum())
    last_of_run = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    f1 = np.where(last_of_run, f1, -1.0)
    best = int(np.argmax(f1))
    below = sorted_scores[best + 1] if best + 1 < len(sorted_scores) else sorted_scores[best] - 1.0
    value = float((sorted_scores[best] + below) / 2)
    return ThresholdChoice(value, f"best F1 ({f1[best]:.4f}) on {len(scores)} labelled validation windows")
