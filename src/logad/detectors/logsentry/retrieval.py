"""Retrieval-augmented inference: fuse the classifier's probability with the k-NN vote of the knowledge base."""

from __future__ import annotations

import numpy as np


def fuse(p_model: np.ndarray, p_knn: np.ndarray, beta: float) -> np.ndarray:
    """beta * p_model + (1 - beta) * p_knn; where there is no vote (NaN: empty KB for the tenant), p_model alone."""
    fused = beta * p_model + (1.0 - beta) * p_knn
    return np.where(np.isnan(p_knn), p_model, fused)
