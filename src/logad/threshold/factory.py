"""Threshold configuration, building a policy from validation scores, and rebuilding one from its state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from logad.errors import BadInputError
from logad.threshold.dtpm import DtpmThreshold
from logad.threshold.ewma import EwmaThreshold
from logad.threshold.policy import ThresholdPolicy
from logad.threshold.static import StaticThreshold

POLICIES: dict[str, type[StaticThreshold | EwmaThreshold | DtpmThreshold]] = {
    cls.kind: cls for cls in (StaticThreshold, EwmaThreshold, DtpmThreshold)
}


@dataclass(frozen=True)
class ThresholdConfig:
    """How to threshold scores: ``kind`` static, ewma or dtpm.

    ``target_false_alarm_rate`` is the share of normal scores each kind lets through: the static quantile is
    ``1 - target`` (unless ``static_value`` is given), the EWMA's z is calibrated to it (unless ``z`` is given)
    and DTPM is trained to hold it on shifted streams. ``smoothing`` and ``anomaly_update`` set the EWMA fast
    layer (see ``logad.threshold.ewma``); ``window``, ``hidden``, ``train_steps``, ``learning_rate`` and ``seed``
    set DTPM's gated net and its training (see ``logad.threshold.dtpm``).
    """

    kind: str = "dtpm"
    target_false_alarm_rate: float = 0.01
    static_value: float | None = None
    smoothing: float = 0.2
    anomaly_update: str = "clip"
    z: float | None = None
    window: int = 50
    hidden: int = 64
    train_steps: int = 300
    learning_rate: float = 0.01
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in POLICIES:
            raise ValueError(f"kind must be one of {', '.join(POLICIES)}, not {self.kind!r}")
        if self.train_steps < 0 or not self.learning_rate > 0.0:
            raise ValueError(
                f"need train_steps >= 0 and learning_rate > 0, not {self.train_steps}, {self.learning_rate}"
            )
        # The policies' constructors check the other fields, each rule in one place.
        DtpmThreshold.from_config(self)
        StaticThreshold.from_config(self)


def build_threshold(
    config: ThresholdConfig, normal_scores: np.ndarray, anomalous_scores: np.ndarray | None = None
) -> ThresholdPolicy:
    """A policy of ``config.kind`` warmed up (and for DTPM trained) on validation scores, ready to stream."""
    if config.kind == DtpmThreshold.kind:
        return DtpmThreshold.fit(normal_scores, anomalous_scores, config)
    policy = POLICIES[config.kind].from_config(config)
    policy.warm_up(normal_scores)
    return policy


def threshold_from_state(state: dict[str, Any]) -> ThresholdPolicy:
    """Rebuild a policy of any kind from its ``state_dict``; BadInputError when the state does not fit."""
    kind = state.get("kind") if isinstance(state, dict) else None
    if kind not in POLICIES:
        raise BadInputError(f"threshold state has kind {kind!r}; known kinds: {', '.join(POLICIES)}")
    policy = POLICIES[kind]()
    policy.load_state_dict(state)
    return policy
