"""Anomaly thresholds: the static threshold chosen on validation data, drift-following kinds anchored on it, and
the served kind that training chooses.

Every kind (static, ewma, dtpm, spot, dspot) has one interface, ``ThresholdPolicy``: ``update(score)`` decides
with the threshold from the state before the score, then learns from it; ``feedback`` takes an operator's verdict;
``state_dict``/``threshold_from_state`` persist it.
"""

from logad.threshold.config import AUTO, KINDS, ThresholdConfig
from logad.threshold.factory import POLICIES, build_threshold, threshold_from_state
from logad.threshold.policy import Decision, StreamResult, ThresholdPolicy, Verdicts, run_stream
from logad.threshold.selection import ThresholdChoice, choose_threshold

__all__ = [
    "AUTO",
    "KINDS",
    "POLICIES",
    "Decision",
    "StreamResult",
    "ThresholdChoice",
    "ThresholdConfig",
    "ThresholdPolicy",
    "Verdicts",
    "build_threshold",
    "choose_threshold",
    "run_stream",
    "threshold_from_state",
]
