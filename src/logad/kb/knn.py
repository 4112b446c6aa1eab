"""The k-NN vote: an anomaly probability from the labels of a window's nearest knowledge-base neighbours."""

from __future__ import annotations

import numpy as np


def knn_probability(
    similarities: np.ndarray, labels: np.ndarray, temperature: float, windows: np.ndarray | None = None
) -> np.ndarray:
    """Per row, the softmax(similarity / temperature)-weighted share of anomalous windows among the nearest k.

    k is the number of columns. ``windows`` (same shape) says how many windows each hit stands for (a knowledge
    base row counts identical windows once); the vote then takes windows from the best hit down until it has k,
    exactly as if every window were its own row. Hits with a NaN similarity or a negative label (padding) are
    ignored; a row without any valid hit gives NaN, so callers can fall back to the model alone.
    """
    sims = np.asarray(similarities, dtype=np.float64)
    labs = np.asarray(labels)
    counts = np.ones(sims.shape) if windows is None else np.asarray(windows, dtype=np.float64)
    if sims.ndim != 2 or sims.shape != labs.shape or sims.shape != counts.shape:
        raise ValueError(
            f"similarities {sims.shape}, labels {labs.shape} and windows {counts.shape} must be 2-D arrays of "
            "the same shape"
        )
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    valid = ~np.isnan(sims) & (labs >= 0) & (counts > 0)
    counts = np.where(valid, counts, 0.0)
    taken = np.clip(sims.shape[1] - (np.cumsum(counts, axis=1) - counts), 0.0, counts)
    logits = np.where(valid, sims / temperature, -np.inf)
    row_max = logits.max(axis=1, initial=-np.inf, keepdims=True)
    has_hit = np.isfinite(row_max[:, 0])
    weights = taken * np.where(valid, np.exp(logits - np.where(np.isfinite(row_max), row_max, 0.0)), 0.0)
    total = weights.sum(axis=1)
    votes = (weights * (labs == 1)).sum(axis=1)
    out = np.full(len(sims), np.nan)
    out[has_hit] = votes[has_hit] / total[has_hit]
    return out
