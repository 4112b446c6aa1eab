"""Every threshold kind by name: fitting one on validation scores, and rebuilding one from its state."""

from __future__ import annotations

from typing import Any

import numpy as np

from logad.errors import BadInputError
from logad.threshold.config import KINDS, ThresholdConfig
from logad.threshold.dtpm import DtpmThreshold
from logad.threshold.ewma import EwmaThreshold
from logad.threshold.policy import ThresholdPolicy, Verdicts
from logad.threshold.spot import DspotThreshold, SpotThreshold
from logad.threshold.static import StaticThreshold

PolicyClass = type[StaticThreshold | EwmaThreshold | DtpmThreshold | SpotThreshold | DspotThreshold]
POLICIES: dict[str, PolicyClass] = {
    cls.kind: cls for cls in (StaticThreshold, EwmaThreshold, DtpmThreshold, SpotThreshold, DspotThreshold)
}
assert tuple(POLICIES) == KINDS, "config.KINDS lists the kinds in the order of POLICIES"


def build_threshold(
    kind: str,
    config: ThresholdConfig,
    normal_scores: np.ndarray,
    anomalous_scores: np.ndarray | None = None,
    anchor: float | None = None,
) -> ThresholdPolicy:
    """A policy of ``kind`` fitted on validation scores and started at ``anchor`` (default: the config's
    ``static_value``, else the ``normal_quantile`` of the normal scores), ready to stream."""
    if kind not in POLICIES:
        raise BadInputError(f"unknown threshold kind {kind!r}; known kinds: {', '.join(POLICIES)}")
    if anchor is None:
        anchor = config.static_value
    if anchor is None:
        finite = np.asarray(normal_scores, dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            raise BadInputError(f"{kind} threshold fit: no finite validation scores and no static_value")
        anchor = float(np.quantile(finite, config.normal_quantile))
    policy = POLICIES[kind].fit(normal_scores, anomalous_scores, anchor, config)
    policy.verdicts = Verdicts.floored(normal_scores, policy.base_threshold())
    return policy


def threshold_from_state(state: dict[str, Any]) -> ThresholdPolicy:
    """Rebuild a policy of any kind from its ``state_dict``; BadInputError when the state does not fit."""
    kind = state.get("kind") if isinstance(state, dict) else None
    if kind not in POLICIES:
        raise BadInputError(f"threshold state has kind {kind!r}; known kinds: {', '.join(POLICIES)}")
    policy = POLICIES[kind]()
    policy.load_state_dict(state)
    return policy
