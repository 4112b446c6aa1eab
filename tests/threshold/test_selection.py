"""Static threshold choice on validation data."""

from __future__ import annotations

import numpy as np

from logad.threshold.selection import choose_threshold


def test_best_f1_separates_classes():
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    labels = np.array([0, 0, 0, 1, 1])
    choice = choose_threshold(scores, labels, default=0.5)
    assert 0.3 < choice.value < 0.8
    assert "best F1 (1.0000)" in choice.how


def test_best_f1_handles_ties_and_overlap():
    scores = np.array([0.5, 0.5, 0.5, 0.9, 0.1])
    labels = np.array([1, 0, 1, 1, 0])
    choice = choose_threshold(scores, labels, default=0.5)
    predicted = scores > choice.value
    # Flagging every 0.5 gives F1 = 6/7 > 2/3 for flagging only 0.9: the tie group is taken whole.
    assert predicted.tolist() == [True, True, True, True, False]


def test_one_class_falls_back_to_normal_quantile():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=1000)
    choice = choose_threshold(scores, np.zeros(1000, dtype=int), default=0.5, normal_quantile=0.99)
    assert np.isclose(choice.value, np.quantile(scores, 0.99))
    assert "quantile" in choice.how


def test_quantile_ignores_anomalies_and_non_finite():
    scores = np.array([1.0, 2.0, 3.0, np.nan, np.inf, 100.0])
    labels = np.array([0, 0, 0, 0, 0, 1])
    # Only anomaly is 100 with a NaN-free normal set {1,2,3}: both classes present -> best F1 instead.
    assert choose_threshold(scores, labels, default=0.0).value < 100.0
    unlabelled = choose_threshold(scores[:5], None, default=0.0, normal_quantile=1.0)
    assert unlabelled.value == 3.0


def test_empty_validation_uses_default():
    choice = choose_threshold(np.array([]), None, default=0.5)
    assert choice.value == 0.5 and "default" in choice.how
