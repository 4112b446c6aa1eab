"""Fit every threshold kind on a model's validation scores: what training stores, serving and evaluation replay."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logad.errors import LogadError
from logad.threshold.config import KINDS, ThresholdConfig
from logad.threshold.factory import build_threshold
from logad.threshold.static import StaticThreshold

MIN_WARM_UP_SCORES = 10


@dataclass
class FittedKinds:
    """Each fitted kind's state (``state_dict``), and why the others could not be fitted."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def fit_threshold_policies(
    config: ThresholdConfig, scores: np.ndarray, labels: np.ndarray | None, anchor: float
) -> FittedKinds:
    """Every kind started at ``anchor`` (the static threshold chosen on the same validation data) and fitted on
    the validation windows not labelled anomalous (DTPM also sees the anomalous ones, to keep them above its
    threshold). With fewer than ``MIN_WARM_UP_SCORES`` finite normal scores only static is fitted: a spread
    estimated from a handful of scores would be noise."""
    known = labels if labels is not None else np.full(len(scores), -1)
    normal, anomalous = scores[known != 1], scores[known == 1]
    static = build_threshold(StaticThreshold.kind, config, normal, None, anchor)
    fitted = FittedKinds({StaticThreshold.kind: static.state_dict()})
    if np.isfinite(normal).sum() < MIN_WARM_UP_SCORES:
        reason = f"fewer than {MIN_WARM_UP_SCORES} finite normal validation scores"
        fitted.skipped = {kind: reason for kind in KINDS if kind != StaticThreshold.kind}
        return fitted
    for kind in KINDS[1:]:
        try:
            policy = build_threshold(kind, config, normal, anomalous if len(anomalous) else None, anchor)
        except LogadError as exc:
            fitted.skipped[kind] = str(exc)
            continue
        fitted.states[kind] = policy.state_dict()
    return fitted
