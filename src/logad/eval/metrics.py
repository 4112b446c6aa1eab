"""Classification metrics; precision/recall/F1 are 0.0 where their denominator is 0."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def classification_metrics(labels: Any, predictions: Any, scores: Any = None) -> dict[str, Any]:
    """Precision, recall, F1, confusion counts, and ROC-AUC / PR-AUC when scores and both classes exist."""
    y = np.asarray(labels, dtype=int)
    p = np.asarray(predictions, dtype=bool)
    tp, fp = int((p & (y == 1)).sum()), int((p & (y == 0)).sum())
    fn, tn = int((~p & (y == 1)).sum()), int((~p & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    roc_auc = pr_auc = None
    if scores is not None and 0 < y.sum() < len(y):
        s = np.nan_to_num(np.asarray(scores, dtype=float), nan=0.0, posinf=1e300, neginf=-1e300)
        roc_auc, pr_auc = float(roc_auc_score(y, s)), float(average_precision_score(y, s))
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "roc_auc": roc_auc,
        "pr_auc": pr_auc,
        "n": len(y),
        "anomalies": int(y.sum()),
    }
