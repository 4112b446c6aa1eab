"""Choose the static threshold from validation scores, never from test data.

Three cases, by what validation knows:

* a supervised detector whose validation windows hold labelled normals and anomalies: the threshold with the best
  F1 there;
* otherwise, when at least ``MIN_LABELLED_NORMALS`` validation windows are labelled normal: the
  ``normal_quantile`` of their scores (an unsupervised detector trained on normal windows is cut where normal
  validation windows end, whatever anomalies validation also holds);
* otherwise (no labels): the same quantile of the scores left after trimming those beyond Tukey's far-out fence
  (``logad.threshold.robust``), so that the anomalies an unlabelled validation set holds (5-10% is common) do not
  pull the threshold up into them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from logad.threshold.robust import trimmed_quantile

MIN_LABELLED_NORMALS = 10


@dataclass(frozen=True)
class ThresholdChoice:
    """A chosen threshold and a sentence saying how it was chosen (recorded in the artifact)."""

    value: float
    how: str


def choose_threshold(
    scores: np.ndarray,
    labels: np.ndarray | None,
    default: float,
    supervised: bool = True,
    normal_quantile: float = 0.995,
) -> ThresholdChoice:
    """The static threshold for ``scores`` (labels: 1 anomalous, 0 normal, -1 unknown; see the module docstring).

    A window is anomalous when its score is strictly greater than the threshold."""
    scores = np.asarray(scores, dtype=float)
    finite = np.isfinite(scores)
    known = np.full(len(scores), -1) if labels is None else np.asarray(labels)
    labelled = finite & (known >= 0)
    if supervised and 0 < known[labelled].sum() < labelled.sum():
        return _best_f1(scores[labelled], known[labelled].astype(int))
    normal = finite & (known == 0)
    if normal.sum() >= MIN_LABELLED_NORMALS:
        value = float(np.quantile(scores[normal], normal_quantile))
        return ThresholdChoice(value, f"{normal_quantile:g} quantile of {int(normal.sum())} normal validation scores")
    unknown = finite & (known != 1)
    if unknown.any():
        value, trimmed = trimmed_quantile(scores[unknown], normal_quantile)
        return ThresholdChoice(
            value,
            f"{normal_quantile:g} quantile of {int(unknown.sum()) - trimmed} unlabelled validation scores left after "
            f"trimming {trimmed} beyond the far-out fence (Q3 + 3 IQR)",
        )
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
