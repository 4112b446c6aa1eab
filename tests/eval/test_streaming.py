"""Offline replay of scores through threshold policies, in time order, as serving would see them."""

from __future__ import annotations

import numpy as np

from logad.data.types import LogSequence
from logad.eval.streaming import stream_metrics, time_order
from logad.threshold import ThresholdConfig
from logad.threshold.fitting import MIN_WARM_UP_SCORES, fit_threshold_policies


def test_time_order_uses_start_times_then_source_position():
    windows = [
        LogSequence("a", ["x"], [30.0], order=0),
        LogSequence("b", ["x"], [10.0], order=5),
        LogSequence("c", ["x"], [10.0], order=2),
    ]
    assert time_order(windows).tolist() == [2, 1, 0]
    untimed = [LogSequence("a", ["x"], order=3), LogSequence("b", ["x"], order=1)]
    assert time_order(untimed).tolist() == [1, 0]


def test_drift_following_kinds_beat_the_static_threshold_after_a_level_shift():
    rng = np.random.default_rng(0)
    validation = rng.normal(1.0, 0.1, 400)
    anchor = float(np.quantile(validation, 0.99))
    states = fit_threshold_policies(
        ThresholdConfig(train_steps=50), validation, np.zeros(400, dtype=int), anchor
    ).states
    scores = np.concatenate([rng.normal(1.0, 0.1, 300), rng.normal(1.6, 0.1, 1200)])
    labels = np.zeros(1500, dtype=int)
    spikes = [150, 450, 1400]
    scores[spikes] += 3.0
    labels[spikes] = 1
    windows = [LogSequence(f"w{i}", ["x"], [float(i)], order=i) for i in range(1500)]
    results = stream_metrics(windows, scores, labels, states)
    assert results["static"]["fp"] > 1000  # every post-shift window is a false alarm
    for kind in ("ewma", "dtpm"):
        assert results[kind]["fp"] < 600 and results[kind]["tp"] == 3
    assert results["dspot"]["fp"] > 1000, "DSPOT never learns from flagged scores, so a shift this large stays flagged"


def test_too_few_validation_normals_keep_only_the_static_policy():
    scores = np.arange(MIN_WARM_UP_SCORES - 1, dtype=float)
    fitted = fit_threshold_policies(ThresholdConfig(), scores, None, 0.5)
    assert list(fitted.states) == ["static"] and fitted.states["static"]["value"] == 0.5
    assert set(fitted.skipped) == {"ewma", "dtpm", "spot", "dspot"}


def test_kinds_that_cannot_be_fitted_say_why():
    tied = np.zeros(500)  # a model that explains every normal window perfectly: no tail for SPOT to fit
    fitted = fit_threshold_policies(ThresholdConfig(train_steps=5), tied, None, 0.5)
    assert {"static", "ewma", "dtpm"} <= set(fitted.states)
    assert "spot" in fitted.skipped and "libspot" in fitted.skipped["spot"]
