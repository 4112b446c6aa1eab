"""Stateful thresholds: static, EWMA and DTPM behind one interface (drift, no peeking, state, errors)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from logad.config import config_from_dict
from logad.errors import BadInputError, ConfigError
from logad.threshold import (
    DtpmThreshold,
    EwmaThreshold,
    StaticThreshold,
    ThresholdConfig,
    build_threshold,
    run_stream,
    threshold_from_state,
)

KINDS = ("static", "ewma", "dtpm")


@pytest.fixture(scope="module")
def validation() -> np.ndarray:
    return np.random.default_rng(0).normal(1.0, 0.1, 2000)


@pytest.fixture(scope="module")
def states(validation: np.ndarray) -> dict[str, dict]:
    """State of a freshly built policy of each kind (DTPM trained once for the whole module)."""
    return {kind: build_threshold(ThresholdConfig(kind=kind), validation).state_dict() for kind in KINDS}


def fresh(states: dict[str, dict], kind: str):
    return threshold_from_state(states[kind])


def shifted_stream() -> np.ndarray:
    """300 scores ~N(1, 0.1), then a level shift to ~N(2, 0.1) for 300 more; a spike of 10 at step 150."""
    rng = np.random.default_rng(1)
    stream = np.r_[rng.normal(1.0, 0.1, 300), rng.normal(2.0, 0.1, 300)]
    stream[150] = 10.0
    return stream


def test_static_keeps_flagging_after_a_level_shift(states):
    result = run_stream(fresh(states, "static"), shifted_stream())
    assert result.anomalous[350:].mean() > 0.95
    assert result.anomalous[150]


@pytest.mark.parametrize("kind", ["ewma", "dtpm"])
def test_adaptive_policies_follow_a_level_shift_and_still_catch_spikes(states, kind):
    result = run_stream(fresh(states, kind), shifted_stream())
    assert result.anomalous[150], "an isolated spike must be flagged"
    assert result.anomalous[:300].mean() < 0.05
    assert result.anomalous[300:305].all(), "the shift itself is flagged before the policy adapts"
    assert result.anomalous[350:].mean() < 0.05, "after adapting, the shifted level is no longer anomalous"
    assert result.thresholds[-1] > 2.0


@pytest.mark.parametrize("kind", ["ewma", "dtpm"])
def test_false_alarm_rate_near_target_on_stationary_scores(states, kind):
    scores = np.random.default_rng(2).normal(1.0, 0.1, 3000)
    assert 0.002 < run_stream(fresh(states, kind), scores).anomalous.mean() < 0.03


def test_ewma_moves_with_the_scores():
    scores = np.random.default_rng(3).normal(0.0, 1.0, 500)
    base, moved = EwmaThreshold(), EwmaThreshold()
    base.warm_up(scores)
    moved.warm_up(scores - 100.0)
    thresholds = run_stream(base, scores[::-1]).thresholds
    np.testing.assert_allclose(run_stream(moved, scores[::-1] - 100.0).thresholds, thresholds - 100.0, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_no_peeking(states, kind):
    stream = shifted_stream()
    full = run_stream(fresh(states, kind), stream)
    prefix = run_stream(fresh(states, kind), stream[:320])
    np.testing.assert_array_equal(prefix.thresholds, full.thresholds[:320])
    np.testing.assert_array_equal(prefix.anomalous, full.anomalous[:320])
    policy = fresh(states, kind)
    for score in stream[:60]:
        before = policy.threshold()
        decision = policy.update(score)
        assert decision.threshold == before
        assert decision.anomalous == (score > before)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_scores_are_invalid_and_change_nothing(states, kind, bad):
    policy = fresh(states, kind)
    run_stream(policy, shifted_stream()[:80])
    before, threshold = policy.state_dict(), policy.threshold()
    decision = policy.update(bad)
    assert (decision.valid, decision.anomalous, decision.threshold) == (False, False, threshold)
    assert policy.state_dict() == before


def test_stream_marks_invalid_scores_and_handles_empty(states):
    result = run_stream(fresh(states, "dtpm"), np.array([1.0, np.nan, 1.0, np.inf]))
    assert result.valid.tolist() == [True, False, True, False]
    assert not result.anomalous[~result.valid].any()
    empty = run_stream(fresh(states, "ewma"), np.array([]))
    assert empty.thresholds.shape == empty.anomalous.shape == empty.valid.shape == (0,)
    assert empty.anomalous.dtype == bool


@pytest.mark.parametrize("kind", KINDS)
def test_warm_up_without_finite_scores_is_a_clear_error(kind):
    with pytest.raises(BadInputError, match="no finite scores"):
        build_threshold(ThresholdConfig(kind=kind), np.array([np.nan, np.inf]))


@pytest.mark.parametrize("kind", KINDS)
def test_state_round_trip_through_json_continues_identically(states, kind):
    stream = shifted_stream()
    uninterrupted = run_stream(fresh(states, kind), stream)
    first = fresh(states, kind)
    head = run_stream(first, stream[:200])
    resumed = threshold_from_state(json.loads(json.dumps(first.state_dict())))
    tail = run_stream(resumed, stream[200:])
    np.testing.assert_array_equal(np.r_[head.thresholds, tail.thresholds], uninterrupted.thresholds)
    np.testing.assert_array_equal(np.r_[head.anomalous, tail.anomalous], uninterrupted.anomalous)


def test_dtpm_fit_is_deterministic_and_seeded(validation):
    anomalies = np.random.default_rng(4).normal(1.6, 0.2, 50)
    config = ThresholdConfig(train_steps=30)
    first = DtpmThreshold.fit(validation, anomalies, config).state_dict()
    assert DtpmThreshold.fit(validation, anomalies, config).state_dict() == first
    assert DtpmThreshold.fit(validation, anomalies, ThresholdConfig(train_steps=30, seed=1)).state_dict() != first


def test_untrained_dtpm_is_the_ewma(validation):
    dtpm, ewma = DtpmThreshold(), EwmaThreshold()
    dtpm.warm_up(validation)
    ewma.warm_up(validation)
    stream = shifted_stream()
    np.testing.assert_allclose(run_stream(dtpm, stream).thresholds, run_stream(ewma, stream).thresholds)


@pytest.mark.parametrize("kind", KINDS)
def test_load_state_rejects_wrong_kind_version_and_fields(states, kind):
    policy = fresh(states, kind)
    before = policy.state_dict()
    other = next(k for k in KINDS if k != kind)
    with pytest.raises(BadInputError, match="kind"):
        policy.load_state_dict(states[other])
    with pytest.raises(BadInputError, match="version"):
        policy.load_state_dict({**states[kind], "version": 99})
    with pytest.raises(BadInputError, match="missing"):
        policy.load_state_dict({k: v for k, v in states[kind].items() if k not in ("value", "mean", "recent")})
    assert policy.state_dict() == before


def test_load_state_rejects_bad_values(states):
    with pytest.raises(BadInputError, match="kind 'adaptive'"):
        threshold_from_state({"kind": "adaptive", "version": 1})
    with pytest.raises(BadInputError, match="w1"):
        threshold_from_state({**states["dtpm"], "params": {**states["dtpm"]["params"], "w1": [[1.0]]}})
    with pytest.raises(BadInputError, match="smoothing"):
        threshold_from_state({**states["ewma"], "smoothing": 2.0})
    with pytest.raises(BadInputError, match="var"):
        threshold_from_state({**states["ewma"], "var": float("nan")})


def test_config_is_validated_and_static_value_is_kept():
    with pytest.raises(ConfigError, match="kind"):
        config_from_dict(ThresholdConfig, {"kind": "adaptive"})
    with pytest.raises(ConfigError, match="anomaly_update"):
        config_from_dict(ThresholdConfig, {"anomaly_update": "sometimes"})
    config = config_from_dict(ThresholdConfig, {"kind": "static", "static_value": 3})
    policy = build_threshold(config, np.array([np.nan]))
    assert isinstance(policy, StaticThreshold) and policy.threshold() == 3.0
