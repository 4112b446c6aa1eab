"""Fit every threshold kind on a model's validation scores: what training stores and evaluation replays."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from logad.threshold.factory import POLICIES, ThresholdConfig, build_threshold
from logad.threshold.static import StaticThreshold

MIN_WARM_UP_SCORES = 10


def fit_threshold_policies(
    config: ThresholdConfig, scores: np.ndarray, labels: np.ndarray | None, static_value: float
) -> dict[str, dict[str, Any]]:
    """State of each policy kind, warmed up on the validation windows not labelled anomalous (DTPM also sees the
    anomalous ones, to keep them above its threshold); the static policy holds ``static_value`` (chosen on the
    same validation data). With fewer than ``MIN_WARM_UP_SCORES`` finite normal scores only the static one is
    fitted: a spread estimated from a handful of scores would be noise."""
    known = labels if labels is not None else np.full(len(scores), -1)
    normal, anomalous = scores[known != 1], scores[known == 1]
    states = {StaticThreshold.kind: StaticThreshold(static_value).state_dict()}
    if np.isfinite(normal).sum() < MIN_WARM_UP_SCORES:
        return states
    for kind in POLICIES:
        if kind != StaticThreshold.kind:
            policy = build_threshold(replace(config, kind=kind), normal, anomalous if len(anomalous) else None)
            states[kind] = policy.state_dict()
    return states
