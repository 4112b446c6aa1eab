"""Anomaly thresholds: static choices made on validation data, and stateful drift-following policies.

Every policy (static, EWMA, DTPM) has one interface, ``ThresholdPolicy``: ``update(score)`` decides with the
threshold from the state before the score, then learns from it; ``state_dict``/``threshold_from_state`` persist it.
"""

from logad.threshold.dtpm import DtpmThreshold
from logad.threshold.ewma import EwmaThreshold
from logad.threshold.factory import ThresholdConfig, build_threshold, threshold_from_state
from logad.threshold.policy import Decision, StreamResult, ThresholdPolicy, run_stream
from logad.threshold.selection import ThresholdChoice, choose_threshold
from logad.threshold.static import StaticThreshold

__all__ = [
    "Decision",
    "DtpmThreshold",
    "EwmaThreshold",
    "StaticThreshold",
    "StreamResult",
    "ThresholdChoice",
    "ThresholdConfig",
    "ThresholdPolicy",
    "build_threshold",
    "choose_threshold",
    "run_stream",
    "threshold_from_state",
]
