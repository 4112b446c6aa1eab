"""A tenant's state document through TenantStream: windows, thresholds, compact storage, resets, roll-outs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from logad.data.types import LogRecord
from logad.data.windows import WindowSpec
from logad.errors import BadInputError
from logad.streaming import StreamConfig, StreamWindower
from logad.streaming.tenant_stream import TenantStream
from logad.threshold import ThresholdConfig, build_threshold, threshold_from_state

NORMAL = np.random.default_rng(0).normal(1.0, 0.1, 200)


def _fitted_dtpm() -> dict:
    config = ThresholdConfig(window=8, hidden=4, train_steps=20)
    return build_threshold("dtpm", config, NORMAL, None, float(np.quantile(NORMAL, 0.995))).state_dict()


def _stream(version: str = "m1") -> TenantStream:
    return TenantStream(StreamWindower(WindowSpec.parse("fixed:2"), StreamConfig()), _fitted_dtpm(), version)


def _records(n: int) -> list[LogRecord]:
    return [LogRecord(i + 1, f"event {i % 3}") for i in range(n)]


def test_windows_and_decisions_advance_a_copy_of_the_document():
    stream = _stream()
    state = stream.current({})
    windows, moved, _ = stream.add_lines(state, {}, _records(5), rejected=1, flush=False)
    assert [len(w) for w in windows] == [2, 2] and state["counts"]["lines"] == 0  # the input is not changed
    decisions, decided = stream.decide(moved, [1.0, 50.0])
    assert [d.anomalous for d in decisions] == [False, True]
    summary = stream.summary(decided)
    assert summary | {"threshold": 0} == {
        "model_version": "m1", "threshold_kind": "dtpm", "threshold": 0, "verdicts": 0, "open_windows": 1,
        "lines": 5, "rejected_lines": 1, "windows": 2, "anomalous": 1, "threshold_resets": 0, "feedback": 0,
    }  # fmt: skip


def test_only_moved_threshold_fields_are_stored_and_the_policy_is_the_same():
    stream = _stream()
    _, state = stream.decide(stream.current({}), [1.05, 0.95, 1.2])
    stored = json.loads(json.dumps(state))
    assert "params" not in stored["threshold"] and "recent" in stored["threshold"]  # calibration net stays fitted
    reference = threshold_from_state(_fitted_dtpm())
    for score in (1.05, 0.95, 1.2):
        reference.update(score)
    assert stream.summary(stored)["threshold"] == pytest.approx(reference.threshold())


def test_reset_restores_the_fitted_threshold_and_keeps_windows():
    stream = _stream()
    _, state, _ = stream.add_lines(stream.current({}), {}, _records(3), 0, False)
    fitted = stream.summary(state)["threshold"]
    _, state = stream.decide(state, [5.0] * 300)  # a lasting shift: the drift-following threshold moves
    assert stream.summary(state)["threshold"] != pytest.approx(fitted)
    reset = stream.reset_threshold(state)
    assert stream.summary(reset)["threshold"] == pytest.approx(fitted)
    assert reset["windows"] == state["windows"] and reset["counts"]["threshold_resets"] == 1


def test_a_new_model_version_keeps_open_windows_but_refits_the_threshold():
    old = _stream("m1")
    _, state, _ = old.add_lines(old.current({}), {}, _records(3), 0, False)
    _, state = old.decide(state, [5.0] * 20)
    rolled = _stream("m2").current(state)
    assert rolled["model_version"] == "m2" and rolled["threshold"] == {} and rolled["windows"] == state["windows"]


def test_a_document_of_another_format_is_refused():
    with pytest.raises(BadInputError, match="format"):
        _stream().current({"format": 99, "counts": {}})


def test_provisional_windows_are_the_touched_open_sessions_so_far_and_judging_them_learns_nothing():
    windower = StreamWindower(WindowSpec.parse(r"session:blk_\d+"), StreamConfig())
    stream = TenantStream(windower, _fitted_dtpm(), "m1")
    first = [LogRecord(i + 1, f"op blk_{i % 3}", float(i)) for i in range(7)]  # blk_0: 3 events, blk_1/blk_2: 2
    _, state, rows = stream.add_lines(stream.current({}), {}, first, 0, False)
    early = stream.provisional(stream.current({}), rows, 3)
    assert [(w.id, w.messages) for w in early] == [("blk_0", ["op blk_0"] * 3)]
    more = [LogRecord(1, "op blk_2", 8.0)]
    _, moved, rows = stream.add_lines(state, dict(rows.put), more, 0, False)
    assert [(w.id, len(w)) for w in stream.provisional(state, rows, 1)] == [("blk_2", 3)]  # only what it touched
    decisions = stream.judge(moved, [0.5, 50.0])
    assert [d.anomalous for d in decisions] == [False, True] and decisions[0].threshold == decisions[1].threshold
    assert stream.summary(moved)["threshold"] == pytest.approx(decisions[0].threshold)  # nothing learnt
