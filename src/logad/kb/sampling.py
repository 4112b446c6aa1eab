"""Which labelled windows go into the knowledge base: all of them, or the normals undersampled."""

from __future__ import annotations

import numpy as np


def undersample(labels: np.ndarray, ratio: float | None, seed: int) -> np.ndarray:
    """Sorted indices of the rows to keep: every anomaly (label 1) and at most ``ratio`` normals per anomaly.

    ``None`` keeps all rows (the paper's unbalanced knowledge base); ``1.0`` keeps as many normals as anomalies
    (the balanced one). Which normals are kept depends only on ``seed``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if ratio is None:
        return np.arange(len(labels))
    if not np.isfinite(ratio) or ratio <= 0:
        raise ValueError(f"undersampling ratio must be a positive number or None, got {ratio!r}")
    anomalous = np.flatnonzero(labels == 1)
    normal = np.flatnonzero(labels != 1)
    n_keep = min(len(normal), int(ratio * len(anomalous)))
    kept = np.random.default_rng(seed).choice(normal, size=n_keep, replace=False)
    return np.sort(np.concatenate([anomalous, kept]))
