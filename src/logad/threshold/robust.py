"""Robust statistics of score samples: a spread that ties cannot zero, and a fence that contamination cannot move.

Validation scores of normal windows are often far from Gaussian: heavy right tails, and many exact ties (a model
that predicts every log key of most windows scores them all 0). So the spread is the interquartile range where it
is positive, else a wider central range, else the mean absolute deviation from the median.
"""

from __future__ import annotations

import numpy as np

FAR_OUT = 3.0
"""Tukey's "far out" fence: Q3 + 3 IQR. Scores beyond it are outliers under any unimodal normal-score shape seen
in practice, while 5-10% of anomalies on top of the normals move Q1 and Q3 (and so the fence) only a little."""


def robust_spread(scores: np.ndarray) -> float:
    """The interquartile range of finite ``scores``, or the 5-95% range, or 2 x the mean absolute deviation from the
    median, whichever is first positive; 0.0 when all scores are equal (or there are none)."""
    finite = np.asarray(scores, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 0.0
    q05, q25, q50, q75, q95 = np.quantile(finite, [0.05, 0.25, 0.5, 0.75, 0.95])
    for spread in (q75 - q25, q95 - q05, 2.0 * float(np.abs(finite - q50).mean())):
        if spread > 0.0:
            return float(spread)
    return 0.0


def outlier_fence(scores: np.ndarray) -> float:
    """Tukey's far-out fence of finite ``scores``: the upper quartile plus ``FAR_OUT`` robust spreads."""
    finite = np.asarray(scores, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(np.quantile(finite, 0.75) + FAR_OUT * robust_spread(finite))


def trimmed_quantile(scores: np.ndarray, quantile: float) -> tuple[float, int]:
    """The ``quantile`` of the finite ``scores`` at or below ``outlier_fence``, and how many were above it.

    An unlabelled validation set holds some anomalies; a plain high quantile of it lands inside them. Trimming
    the far-out scores first estimates the quantile of the normal scores alone, whatever their share."""
    finite = np.asarray(scores, dtype=float)
    finite = finite[np.isfinite(finite)]
    kept = finite[finite <= outlier_fence(finite)]
    return float(np.quantile(kept, quantile)), int(finite.size - kept.size)
