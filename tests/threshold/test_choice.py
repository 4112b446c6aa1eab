"""Training's choice of the served threshold kind on validation streams."""

from __future__ import annotations

import numpy as np
import pytest

from logad.threshold import ThresholdConfig
from logad.threshold.choice import ValidationStream, choose_kind, replay, simulated_streams
from logad.threshold.fitting import fit_threshold_policies


@pytest.fixture(scope="module")
def validation() -> tuple[np.ndarray, np.ndarray]:
    """1,000 validation windows in time order, 3% of them anomalous, the anomalies clearly above the normals."""
    rng = np.random.default_rng(0)
    labels = (rng.random(1000) < 0.03).astype(int)
    scores = np.where(labels == 1, rng.normal(12.0, 1.0, 1000), rng.gamma(2.0, 1.0, 1000))
    return scores, labels


@pytest.fixture(scope="module")
def states(validation) -> dict[str, dict]:
    scores, labels = validation
    anchor = float(np.quantile(scores[labels == 0], 0.995))
    return fit_threshold_policies(ThresholdConfig(train_steps=50), scores, labels, anchor).states


def test_simulated_streams_shift_only_the_second_half(validation):
    scores, labels = validation
    stable, level, scale = simulated_streams(scores, labels, anchor=7.0)
    np.testing.assert_array_equal(stable.scores, scores)
    for stream in (level, scale):
        np.testing.assert_array_equal(stream.scores[:500], scores[:500])
    assert np.all(level.scores[500:] > scores[500:])
    tied = simulated_streams(np.zeros(10), np.zeros(10, dtype=int), anchor=0.5)[1]
    assert np.all(tied.scores[5:] > 0) and np.all(tied.scores[5:] < 0.5), "a tied set shifts by a tenth of the margin"


def test_static_is_served_when_no_kind_does_better(validation, states):
    scores, labels = validation
    choice = choose_kind(ThresholdConfig(), states, [ValidationStream("stable", scores, labels)])
    assert choice.kind == "static" and choice.why.startswith("static:")
    assert set(choice.table) == set(states) and choice.table["static"]["stable"]["f1"] > 0.9


def test_a_drift_following_kind_is_served_when_the_shifted_streams_favour_it(validation, states):
    scores, labels = validation
    streams = simulated_streams(scores, labels, anchor=float(np.quantile(scores[labels == 0], 0.995)))
    table = replay(states, streams)
    assert table["ewma"]["level"]["f1"] > table["static"]["level"]["f1"] + 0.1
    choice = choose_kind(ThresholdConfig(), states, streams)
    assert choice.kind != "static"
    assert table[choice.kind]["stable"]["f1"] >= table["static"]["stable"]["f1"] - ThresholdConfig().choice_margin
    assert "mean validation F1" in choice.why and choice.kind in choice.why


def test_a_kind_that_loses_on_the_stable_stream_is_not_served(validation, states):
    scores, labels = validation
    streams = simulated_streams(scores, labels, anchor=7.0)
    broken = {**states, "ewma": {**states["static"], "value": -1.0}}  # flags everything
    assert (
        choose_kind(ThresholdConfig(), {"static": states["static"], "ewma": broken["ewma"]}, streams).kind == "static"
    )


def test_without_labelled_anomalies_static_is_served(validation, states):
    scores, _ = validation
    choice = choose_kind(ThresholdConfig(), states, [ValidationStream("stable", scores, np.full(1000, -1))])
    assert choice.kind == "static" and "no labelled anomalies" in choice.why


def test_a_kind_set_in_the_config_is_served_and_one_that_could_not_be_fitted_falls_back(validation, states):
    scores, labels = validation
    streams = [ValidationStream("stable", scores, labels)]
    assert choose_kind(ThresholdConfig(kind="dtpm"), states, streams).kind == "dtpm"
    fallback = choose_kind(ThresholdConfig(kind="spot"), {"static": states["static"]}, streams, {"spot": "too few"})
    assert fallback.kind == "static" and "too few" in fallback.why
