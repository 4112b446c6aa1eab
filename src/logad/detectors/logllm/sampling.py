"""Minority oversampling: repeat random minority-class windows until they make up a given share."""

from __future__ import annotations

import math

import numpy as np


def oversample_minority(labels: np.ndarray, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of every window plus random minority repeats so the minority is at least ``ratio`` of all
    (the authors' ``min_less_portion``); unchanged when it already is, or when one class is absent."""
    indices = np.arange(len(labels))
    counts = {label: int((labels == label).sum()) for label in (0, 1)}
    minority = min(counts, key=counts.get)
    if counts[minority] == 0 or counts[minority] >= ratio * len(labels):
        return indices
    wanted = math.ceil(ratio * counts[1 - minority] / (1 - ratio))
    extra = rng.choice(np.flatnonzero(labels == minority), size=wanted - counts[minority], replace=True)
    return np.concatenate([indices, extra])
