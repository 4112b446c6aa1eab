"""The k-NN vote: an anomaly probability from the labels of a window's nearest knowledge-base neighbours."""

from __future__ import annotations

import numpy as np


def knn_probability(similarities: np.ndarray, labels: np.ndarray, temperature: float) -> np.ndarray:
    """Per row, the softmax(similarity / temperature)-weighted share of anomalous neighbours.

    Hits with a NaN similarity or a negative label (padding) are ignored; a row without any valid hit gives NaN,
    so callers can fall back to the model alone.
    """
    sims = np.asarray(similarities, dtype=np.float64)
    labs = np.asarray(labels)
    if sims.ndim != 2 or sims.shape != labs.shape:
        raise ValueError(f"similarities {sims.shape} and labels {labs.shape} must be 2-D arrays of the same shape")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    valid = ~np.isnan(sims) & (labs >= 0)
    logits = np.where(valid, sims / temperature, -np.inf)
    row_max = logits.max(axis=1, initial=-np.inf, keepdims=True)
    has_hit = np.isfinite(row_max[:, 0])
    weights = np.where(valid, np.exp(logits - np.where(np.isfinite(row_max), row_max, 0.0)), 0.0)
    total = weights.sum(axis=1)
    votes = (weights * (labs == 1)).sum(axis=1)
    out = np.full(len(sims), np.nan)
    out[has_hit] = votes[has_hit] / total[has_hit]
    return out
