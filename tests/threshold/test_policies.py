"""One contract over every threshold kind (start at the anchor, no peeking, JSON state, verdicts, bad state), then
what each kind must do on stable, bursty and shifted streams."""

from __future__ import annotations

import json

import numpy as np
import pytest

from logad.config import config_from_dict
from logad.errors import BadInputError, ConfigError
from logad.threshold import KINDS, ThresholdConfig, Verdicts, build_threshold, run_stream, threshold_from_state

ANCHORED = ("static", "ewma", "dtpm")  # start exactly at the anchor and stay there on a stable stream
FOLLOWING = ("ewma", "dtpm", "dspot")  # follow a lasting level shift


@pytest.fixture(scope="module")
def validation() -> np.ndarray:
    """Skewed normal scores, as anomaly scores usually are."""
    return np.random.default_rng(0).gamma(2.0, 1.0, 1000)


@pytest.fixture(scope="module")
def anchor(validation: np.ndarray) -> float:
    return float(np.quantile(validation, 0.995))


@pytest.fixture(scope="module")
def states(validation: np.ndarray, anchor: float) -> dict[str, dict]:
    """Each kind fitted once for the module (DTPM's net trains for a few seconds)."""
    anomalies = np.random.default_rng(1).normal(15.0, 2.0, 30)
    return {
        kind: build_threshold(kind, ThresholdConfig(), validation, anomalies, anchor).state_dict() for kind in KINDS
    }


def fresh(states: dict[str, dict], kind: str):
    return threshold_from_state(states[kind])


def stable_stream(length: int = 3000, seed: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).gamma(2.0, 1.0, length)


def drifting_stream() -> np.ndarray:
    """Stable for 1,000 scores, a burst of 50 anomalies, stable again, then from 2,000 on a level shift of +6."""
    stream = stable_stream()
    stream[1000:1050] = np.random.default_rng(3).normal(15.0, 2.0, 50)
    stream[2000:] += 6.0
    return stream


# ---- the contract ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_starts_at_the_anchor(states, kind, anchor):
    assert fresh(states, kind).threshold() == pytest.approx(anchor, rel=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_no_peeking(states, kind):
    stream = drifting_stream()
    full = run_stream(fresh(states, kind), stream)
    prefix = run_stream(fresh(states, kind), stream[:1200])
    np.testing.assert_array_equal(prefix.thresholds, full.thresholds[:1200])
    policy = fresh(states, kind)
    for score in stream[:100]:
        before = policy.threshold()
        decision = policy.update(score)
        assert decision.threshold == before and decision.anomalous == (score > before)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_scores_are_invalid_and_change_nothing(states, kind, bad):
    policy = fresh(states, kind)
    run_stream(policy, drifting_stream()[:80])
    before, threshold = policy.state_dict(), policy.threshold()
    decision = policy.update(bad)
    assert (decision.valid, decision.anomalous, decision.threshold) == (False, False, threshold)
    assert policy.state_dict() == before


@pytest.mark.parametrize("kind", KINDS)
def test_state_round_trip_through_json_continues_identically(states, kind):
    """A policy rebuilt from its JSON mid-stream (verdicts included) decides exactly like one that never stopped:
    what a transformer restarted on its state store relies on."""
    stream = drifting_stream()
    uninterrupted = fresh(states, kind)
    first = fresh(states, kind)
    for policy in (uninterrupted, first):
        run_stream(policy, stream[:1500])
        policy.feedback(float(stream[1490]) + 1.0, anomalous=False)
    resumed = threshold_from_state(json.loads(json.dumps(first.state_dict())))
    tail, rest = run_stream(resumed, stream[1500:]), run_stream(uninterrupted, stream[1500:])
    np.testing.assert_array_equal(tail.thresholds, rest.thresholds)
    np.testing.assert_array_equal(tail.anomalous, rest.anomalous)


@pytest.mark.parametrize("kind", KINDS)
def test_fits_are_deterministic(validation, anchor, kind):
    first, second = (build_threshold(kind, ThresholdConfig(train_steps=20), validation, None, anchor) for _ in "ab")
    assert first.state_dict() == second.state_dict()


@pytest.mark.parametrize("kind", KINDS)
def test_a_false_alarm_verdict_raises_the_threshold_above_its_score_and_a_miss_lowers_it(states, kind):
    policy = fresh(states, kind)
    threshold = policy.threshold()
    policy.feedback(threshold + 2.0, anomalous=False)
    assert policy.threshold() >= threshold + 2.0
    assert not policy.update(threshold + 2.0).anomalous
    policy = fresh(states, kind)
    policy.feedback(threshold - 1.0, anomalous=True)
    assert policy.threshold() < threshold - 1.0
    assert policy.update(threshold - 1.0).anomalous


@pytest.mark.parametrize("kind", KINDS)
def test_a_verdict_on_an_infinite_score_leaves_the_threshold(states, kind):
    """-inf is below every finite threshold and +inf above: no threshold can act on such a verdict."""
    policy = fresh(states, kind)
    before = policy.state_dict()
    policy.feedback(float("-inf"), anomalous=True)
    policy.feedback(float("inf"), anomalous=False)
    assert policy.state_dict() == before


@pytest.mark.parametrize("kind", KINDS)
def test_load_state_rejects_wrong_kind_version_and_fields(states, kind):
    policy = fresh(states, kind)
    before = policy.state_dict()
    other = next(k for k in KINDS if k != kind)
    with pytest.raises(BadInputError, match="kind"):
        policy.load_state_dict(states[other])
    with pytest.raises(BadInputError, match="version"):
        policy.load_state_dict({**states[kind], "version": 99})
    field = next(name for name in states[kind] if name not in ("kind", "version", "verdicts"))
    with pytest.raises(BadInputError, match="missing"):
        policy.load_state_dict({k: v for k, v in states[kind].items() if k != field})
    with pytest.raises(BadInputError, match="verdicts"):
        policy.load_state_dict({**states[kind], "verdicts": {"margins": [["high", False]], "count": 1}})
    assert policy.state_dict() == before


def test_load_state_rejects_bad_values(states):
    with pytest.raises(BadInputError, match="kind 'adaptive'"):
        threshold_from_state({"kind": "adaptive", "version": 2})
    with pytest.raises(BadInputError, match="w1"):
        threshold_from_state({**states["dtpm"], "params": {**states["dtpm"]["params"], "w1": [[1.0]]}})
    with pytest.raises(BadInputError, match="smoothing"):
        threshold_from_state({**states["ewma"], "smoothing": 2.0})
    with pytest.raises(BadInputError, match="floor"):
        threshold_from_state({**states["ewma"], "floor": 0.0})
    with pytest.raises(BadInputError, match="excess"):
        threshold_from_state({**states["spot"], "tail": {**states["spot"]["tail"], "excesses": []}})


def test_fitting_without_finite_scores_is_a_clear_error():
    for kind in KINDS[1:]:
        with pytest.raises(BadInputError, match="no finite scores"):
            build_threshold(kind, ThresholdConfig(), np.array([np.nan, np.inf]), anchor=1.0)


def test_config_is_validated():
    with pytest.raises(ConfigError, match="kind"):
        config_from_dict(ThresholdConfig, {"kind": "adaptive"})
    with pytest.raises(ConfigError, match="smoothing"):
        config_from_dict(ThresholdConfig, {"smoothing": 1.5})
    with pytest.raises(ConfigError, match="anomaly_update"):
        config_from_dict(ThresholdConfig, {"anomaly_update": "clip"})  # the old EWMA's field is gone
    config = config_from_dict(ThresholdConfig, {"kind": "static", "static_value": 3})
    assert build_threshold("static", config, np.array([np.nan])).threshold() == 3.0


# ---- verdicts ---------------------------------------------------------------------------------------------------


def test_verdicts_keep_the_threshold_with_fewest_wrong_verdicts_nearest_the_base():
    base = 5.0
    assert Verdicts().apply(base) == base
    assert Verdicts().add(-0.5, anomalous=False).apply(base) == base  # already normal: nothing to do
    assert Verdicts().add(2.0, anomalous=False).apply(base) == 7.0  # the false alarm now sits at the threshold
    assert Verdicts().add(2.0, anomalous=True).apply(base) == base  # already caught: nothing to do
    lowered = Verdicts().add(-1.0, anomalous=True).apply(base)
    assert lowered < 4.0 and lowered == pytest.approx(4.0)
    both = Verdicts().add(2.0, anomalous=False).add(3.0, anomalous=True)
    assert both.apply(base) == 7.0 and both.count == 2
    contradicting = Verdicts().add(-1.0, anomalous=True).add(-0.5, anomalous=False)
    assert contradicting.apply(base) == base, "a miss below a false alarm cannot be fixed by a threshold: back to base"
    outvoted = contradicting.add(-0.2, anomalous=False)
    assert outvoted.apply(base) == base
    false_alarms = Verdicts().add(2.0, anomalous=False).add(3.0, anomalous=False).add(1.0, anomalous=False)
    assert false_alarms.apply(base) == 8.0, "above every false alarm"
    again = Verdicts().add(2.0, anomalous=False).add(2.0, anomalous=False)
    assert again.apply(base) == 7.0  # the same verdict twice moves nothing more


def test_a_miss_scored_like_most_normal_windows_does_not_pull_the_threshold_under_the_floor():
    # DeepLog-like discrete scores: nearly every normal window scores 0, the threshold validation chose is 0
    normals = np.r_[np.zeros(97), [0.05, 0.08, 0.1]]
    policy = build_threshold("static", ThresholdConfig(), normals, anchor=0.0)
    policy.feedback(0.0, anomalous=True)  # a missed anomaly scored 0
    assert policy.threshold() == 0.0, "lowering it would flag every normal window scoring 0"
    assert not policy.update(0.0).anomalous
    policy.feedback(0.5, anomalous=False)  # a false alarm still lifts it
    assert policy.threshold() == 0.5
    reloaded = threshold_from_state(json.loads(json.dumps(policy.state_dict())))
    assert reloaded.verdicts == policy.verdicts and reloaded.threshold() == 0.5
    spread = build_threshold("static", ThresholdConfig(), np.linspace(0.0, 1.0, 101), anchor=0.99)
    spread.feedback(0.5, anomalous=True)  # under the floor (the 0.95 quantile): left to the model
    assert spread.threshold() == 0.99
    spread.feedback(0.97, anomalous=True)  # above it: caught from now on
    assert spread.threshold() == pytest.approx(0.97) and spread.update(0.97).anomalous


def test_verdict_states_written_before_the_floor_existed_still_load():
    state = {"kind": "static", "version": 2, "value": 1.0, "verdicts": {"margins": [[-0.5, True]], "count": 1}}
    policy = threshold_from_state(state)
    assert policy.verdicts.floor == -np.inf and policy.threshold() < 0.5
    with pytest.raises(BadInputError, match="floor"):
        threshold_from_state({**state, "verdicts": {"margins": [], "count": 0, "floor": 2.0}})


def test_verdicts_remember_the_last_fifty():
    verdicts = Verdicts()
    for margin in range(60):
        verdicts = verdicts.add(float(margin), anomalous=False)
    assert verdicts.count == 60 and len(verdicts.margins) == 50 and verdicts.margins[0][0] == 10.0


# ---- behaviour on streams --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ANCHORED)
def test_on_a_stable_stream_the_anchored_kinds_stay_where_static_is(states, kind, anchor):
    result = run_stream(fresh(states, kind), stable_stream(5000, seed=5))
    np.testing.assert_allclose(result.thresholds, anchor)


@pytest.mark.parametrize("kind", KINDS)
def test_on_a_stable_stream_false_alarms_stay_near_static(states, kind):
    stream = stable_stream(5000, seed=6)
    static = run_stream(fresh(states, "static"), stream).anomalous.mean()
    assert run_stream(fresh(states, kind), stream).anomalous.mean() <= max(2 * static, static + 0.005)


@pytest.mark.parametrize("kind", KINDS)
def test_a_burst_of_anomalies_is_caught_and_does_not_drag_the_threshold_up(states, kind, anchor):
    result = run_stream(fresh(states, kind), drifting_stream()[:1300])
    assert result.anomalous[1000:1050].all(), "every anomaly of the burst is flagged"
    after = result.thresholds[1100:1300]
    assert np.all(after < anchor + 1.5), "after the burst the threshold is back near the anchor (spread ~1.4)"
    assert result.anomalous[1100:1300].mean() < 0.03


@pytest.mark.parametrize("kind", FOLLOWING)
def test_drift_following_kinds_follow_a_lasting_level_shift(states, kind):
    result = run_stream(fresh(states, kind), drifting_stream())
    assert result.anomalous[2000:2010].any(), "the shift is flagged before the kind adapts"
    assert result.anomalous[2600:].mean() < 0.03, "after adapting, the shifted level is normal again"


@pytest.mark.parametrize("kind", ["static", "spot"])
def test_static_and_spot_keep_flagging_after_a_level_shift(states, kind):
    assert run_stream(fresh(states, kind), drifting_stream()).anomalous[2600:].mean() > 0.3


def test_untrained_dtpm_is_the_ewma(validation, anchor):
    config = ThresholdConfig(train_steps=0)
    dtpm, ewma = (build_threshold(kind, config, validation, None, anchor) for kind in ("dtpm", "ewma"))
    stream = drifting_stream()
    np.testing.assert_allclose(run_stream(dtpm, stream).thresholds, run_stream(ewma, stream).thresholds)
