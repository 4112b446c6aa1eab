"""Replaying a stream with a simulated operator's feedback, and the recovery measurement."""

from __future__ import annotations

import numpy as np

from logad.eval.replay import RECOVERY_WINDOW, LazyScores, recovery_windows, replay, replay_metrics
from logad.threshold.static import StaticThreshold


def test_the_operator_corrects_the_first_mistakes_after_the_drift_point():
    scores = np.r_[np.zeros(100), np.full(100, 2.0)]  # after the drift point every normal window scores 2
    labels = np.zeros(200, dtype=int)
    alone = replay(StaticThreshold(1.0), scores, labels)
    assert alone.anomalous[100:].all() and alone.verdicts == []
    helped = replay(StaticThreshold(1.0), scores, labels, feedback_from=100, budget=10)
    assert helped.verdicts == [100], "one false-alarm verdict raises the threshold to 2, so no more mistakes"
    assert helped.anomalous.sum() == 1 and helped.thresholds[101] == 2.0
    metrics = replay_metrics(helped, labels, drift_point=100)
    assert metrics["fp"] == 1 and metrics["verdicts"] == 1 and metrics["recovery"] == 0


def test_feedback_budget_and_start_are_respected():
    scores = np.linspace(2.0, 3.0, 50)  # every window a false alarm at a threshold of 1 unless raised
    labels = np.zeros(50, dtype=int)
    result = replay(StaticThreshold(1.0), scores, labels, feedback_from=20, budget=3)
    assert result.verdicts == [20, 21, 22] and result.anomalous[:21].all()


def test_a_detector_that_learns_is_scored_again_after_each_verdict():
    learnt: list[int] = []

    def score(positions: list[int]) -> np.ndarray:
        return np.array([0.0 if learnt and i > learnt[0] else 5.0 for i in positions])

    lazy = LazyScores(score, 30, chunk=8)
    result = replay(StaticThreshold(1.0), lazy, np.zeros(30, dtype=int), budget=1, learn=learnt.append)
    assert learnt == [0] and result.anomalous.tolist() == [True] + [False] * 29


def test_recovery_counts_windows_until_the_false_alarms_are_back_to_normal():
    false_alarms = np.zeros(1000)
    false_alarms[10:300:2] = 1
    assert recovery_windows(false_alarms, 1.0) == 299 + RECOVERY_WINDOW - 2
    assert recovery_windows(np.zeros(50), 1.0) == 0
    assert recovery_windows(np.ones(500), 1.0) is None
