"""Static threshold choice on validation data."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_unsupervised_detectors_take_the_quantile_of_the_normal_validation_windows_only():
    rng = np.random.default_rng(1)
    normal, anomalies = rng.gamma(2.0, 1.0, 950), rng.normal(30.0, 3.0, 50)
    scores, labels = np.r_[normal, anomalies], np.r_[np.zeros(950, dtype=int), np.ones(50, dtype=int)]
    choice = choose_threshold(scores, labels, default=0.0, supervised=False)
    assert choice.value == pytest.approx(np.quantile(normal, 0.995))
    assert "normal validation scores" in choice.how
    supervised = choose_threshold(scores, labels, default=0.0, supervised=True)
    assert "best F1" in supervised.how


@pytest.mark.parametrize(
    ("shape", "contamination"),
    [("gaussian", 0.05), ("gaussian", 0.10), ("heavy-tailed", 0.05), ("heavy-tailed", 0.10), ("mostly-tied", 0.05)],
)
def test_an_unlabelled_contaminated_validation_set_cannot_pull_the_threshold_into_the_anomalies(shape, contamination):
    """Mostly tied: 80% of the normal scores are 0 (windows a model explains perfectly), so 10% anomalies would be a
    third of the informative scores; 5% is what a team without labels should expect to cope with."""
    rng = np.random.default_rng(2)
    normal = {
        "gaussian": rng.normal(1.0, 0.2, 2000),
        "heavy-tailed": rng.gamma(1.5, 1.0, 2000),
        "mostly-tied": np.where(rng.random(2000) < 0.8, 0.0, rng.exponential(1.0, 2000)),
    }[shape]
    anomalies = rng.normal(np.quantile(normal, 0.999) * 4 + 10.0, 1.0, int(2000 * contamination / (1 - contamination)))
    clean = choose_threshold(normal, None, default=0.0, supervised=False)
    contaminated = choose_threshold(rng.permutation(np.r_[normal, anomalies]), None, default=0.0, supervised=False)
    assert contaminated.value < anomalies.min(), "the threshold stays below every anomaly"
    assert np.quantile(normal, 0.95) < contaminated.value
    # The share of normal scores it lets through stays close to what the clean set gives.
    assert abs((normal > contaminated.value).mean() - (normal > clean.value).mean()) < 0.01
    assert np.quantile(np.r_[normal, anomalies], 0.995) > anomalies.min(), "a plain quantile would land inside them"
    assert "trimming" in contaminated.how
