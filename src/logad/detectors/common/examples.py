"""Which labelled windows LogSentry trains on: a few-label subset, and distinct (text, label) examples."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def few_label_indices(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices keeping ``fraction`` of each class (at least one per present class), as the paper's
    few-label runs (Fig. 8) keep 1% or 10% of the training labels."""
    if fraction >= 1.0:
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    kept = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        kept.append(rng.choice(members, size=max(1, math.ceil(fraction * len(members))), replace=False))
    return np.sort(np.concatenate(kept)) if kept else np.zeros(0, dtype=int)


def distinct_examples(texts: Sequence[str], labels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Each distinct (text, label) once, in first-seen order."""
    unique = dict.fromkeys(zip(texts, labels.tolist(), strict=True))
    return [text for text, _ in unique], np.array([label for _, label in unique], dtype=int)
