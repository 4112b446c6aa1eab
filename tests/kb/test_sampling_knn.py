"""Knowledge-base undersampling, the k-NN vote and config validation (no database needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from logad.kb import KBConfig, KBHits, knn_probability, undersample

LABELS = np.array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0])


def test_undersample_none_keeps_everything():
    assert undersample(LABELS, None, seed=0).tolist() == list(range(10))


def test_undersample_balanced_keeps_all_anomalies_and_as_many_normals():
    kept = undersample(LABELS, 1.0, seed=0)
    assert np.all(np.diff(kept) > 0)
    assert {1, 5} <= set(kept.tolist())
    assert (LABELS[kept] == 0).sum() == 2
    assert kept.tolist() == undersample(LABELS, 1.0, seed=0).tolist()


def test_undersample_ratio_caps_normals():
    assert (LABELS[undersample(LABELS, 2.5, seed=3)] == 0).sum() == 5
    assert len(undersample(LABELS, 100.0, seed=3)) == 10
    assert undersample(np.zeros(4, dtype=int), 1.0, seed=0).tolist() == []
    with pytest.raises(ValueError, match="ratio"):
        undersample(LABELS, 0.0, seed=0)


def test_knn_probability_softmax_vote():
    sims = np.array([[1.0, 0.0, np.nan], [0.5, 0.5, 0.2], [np.nan, np.nan, np.nan], [0.9, 0.8, 0.7]])
    labels = np.array([[1, 0, -1], [1, 0, -1], [-1, -1, -1], [0, 0, 0]])
    p = knn_probability(sims, labels, temperature=1.0)
    assert p[0] == pytest.approx(math.e / (math.e + 1))
    assert p[1] == pytest.approx(0.5)  # the third hit has label -1 (padding) and is ignored
    assert np.isnan(p[2])
    assert p[3] == 0.0


def test_knn_probability_counts_each_row_as_its_windows_up_to_k():
    sims, labels = np.array([[0.9, 0.8, 0.7]]), np.array([[1, 0, 1]])
    # rows standing for 1, 5 and 2 windows: the 3 nearest windows are the first row's and two of the second's
    grouped = knn_probability(sims, labels, 0.5, windows=np.array([[1, 5, 2]]))
    per_window = knn_probability(np.array([[0.9, 0.8, 0.8]]), np.array([[1, 0, 0]]), 0.5)
    assert grouped[0] == pytest.approx(per_window[0])
    assert knn_probability(sims, labels, 0.5, windows=np.array([[3, 5, 2]]))[0] == pytest.approx(1.0)
    assert np.isnan(knn_probability(sims[:, :1], labels[:, :1], 0.5, windows=np.array([[0]]))).all()
    with pytest.raises(ValueError, match="same shape"):
        knn_probability(sims, labels, 0.5, windows=np.ones((1, 2)))


def test_knn_probability_is_stable_for_small_temperatures():
    p = knn_probability(np.array([[0.9, 0.8]]), np.array([[1, 0]]), temperature=1e-4)
    assert p[0] == pytest.approx(1.0)
    assert knn_probability(np.empty((0, 3)), np.empty((0, 3), dtype=int), 0.1).shape == (0,)


def test_hits_below_a_similarity_floor_become_padding_and_do_not_vote():
    hits = KBHits(
        similarities=np.array([[0.99, 0.97, 0.5], [0.6, 0.4, np.nan]]),
        labels=np.array([[0, 1, 1], [1, 0, -1]]),
        windows=np.array([[2, 1, 9], [1, 1, 0]]),
        seq_ids=[["a", "b", "c"], ["d", "e"]],
    )
    kept = hits.at_least(0.95)
    assert kept.seq_ids == [["a", "b"], []]
    np.testing.assert_array_equal(kept.labels, [[0, 1, -1], [-1, -1, -1]])
    np.testing.assert_array_equal(kept.windows, [[2, 1, 0], [0, 0, 0]])
    p = knn_probability(kept.similarities, kept.labels, 0.05, kept.windows)
    assert p[0] == pytest.approx(1 / (2 * math.exp(0.02 / 0.05) + 1))  # the two windows at 0.99 and one at 0.97
    assert np.isnan(p[1])  # no hit left: the caller falls back to the classifier alone
    assert hits.at_least(None) is hits


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"index_type": "DISKANN"}, "index_type"),
        ({"metric": "HAMMING"}, "metric"),
        ({"ef_search": 0}, "ef_search"),
        ({"insert_batch": 1.5}, "insert_batch"),
        ({"uri": "kb"}, r"\.db"),
    ],
)
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KBConfig(**kwargs)
