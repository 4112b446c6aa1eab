"""The decision log of the StateStore contract, on SQLite and on Redis: written atomically with the state, bounded,
readable by window and newest first, and private to its tenant."""

from __future__ import annotations

import pytest
from state_helpers import OpenStore

from logad.errors import BadInputError, ConfigError
from logad.state import StateConflict, StateStore, TenantState


def _record(window: str, score: float = 0.5, **fields: object) -> dict:
    return {"window": window, "score": score, **fields}


def _windows(records: list[dict]) -> list[tuple[int, str]]:
    return [(record["seq"], record["window"]) for record in records]


def test_records_are_appended_with_the_state_and_read_back_by_window_and_newest_first(store: StateStore) -> None:
    assert store.decision("t1", "w1") is None and store.decisions("t1") == []
    store.put("t1", {"n": 1}, 0, append=[_record("w1", 0.25), _record("w2", 0.75, messages=["a", "b"])])
    store.put("t1", {"n": 2}, 1, append=[_record("w3"), _record("w1", 0.125)])
    assert store.get("t1") == TenantState(2, {"n": 2})
    assert store.decision("t1", "w2") == {"window": "w2", "score": 0.75, "messages": ["a", "b"], "seq": 2}
    assert store.decision("t1", "w1") == {"window": "w1", "score": 0.125, "seq": 4}  # the latest record of w1
    assert _windows(store.decisions("t1")) == [(4, "w1"), (3, "w3"), (2, "w2"), (1, "w1")]
    assert _windows(store.decisions("t1", limit=2)) == [(4, "w1"), (3, "w3")]
    assert _windows(store.decisions("t1", limit=2, before=3)) == [(2, "w2"), (1, "w1")]
    assert store.decisions("t1", before=1) == []


def test_a_put_that_loses_the_compare_and_set_writes_no_record(store: StateStore) -> None:
    store.put("t1", {"n": 1}, 0, append=[_record("w1")])
    with pytest.raises(StateConflict):
        store.put("t1", {"n": -1}, 0, append=[_record("w2")], amend=[_record("w1", 0.9, verdict="normal")])
    assert store.get("t1") == TenantState(1, {"n": 1})
    assert store.decision("t1", "w2") is None
    assert store.decisions("t1") == [{"window": "w1", "score": 0.5, "seq": 1}]


def test_amend_replaces_the_latest_record_of_a_window_in_place(store: StateStore) -> None:
    store.put("t1", {}, 0, append=[_record("w1", 0.1), _record("w2"), _record("w1", 0.2)])
    latest = store.decision("t1", "w1")
    store.put("t1", {}, 1, amend=[{**latest, "verdict": "normal"}, _record("never-logged")])
    assert store.decision("t1", "w1") == {"window": "w1", "score": 0.2, "verdict": "normal", "seq": 3}
    assert store.decisions("t1")[1:] == [_record("w2") | {"seq": 2}, _record("w1", 0.1) | {"seq": 1}]
    assert store.decision("t1", "never-logged") is None  # amending a window without a record adds none


def test_the_log_keeps_the_newest_records_up_to_its_bound(open_store: OpenStore, namespace: str) -> None:
    store = open_store(namespace, decision_log_size=3)
    store.put("t1", {}, 0, append=[_record("old"), _record("w1", 0.1)])
    store.put("t1", {}, 1, append=[_record("w2"), _record("w1", 0.3), _record("w3")])
    assert _windows(store.decisions("t1", limit=10)) == [(5, "w3"), (4, "w1"), (3, "w2")]
    assert store.decision("t1", "old") is None  # dropped with its record
    assert store.decision("t1", "w1") == _record("w1", 0.3) | {"seq": 4}
    store.put("t1", {}, 2, append=[_record(f"x{i}") for i in range(5)])  # more than the bound in one put
    assert _windows(store.decisions("t1")) == [(10, "x4"), (9, "x3"), (8, "x2")]
    assert store.decision("t1", "w1") is None and store.decision("t1", "w3") is None
    wider = open_store(namespace, decision_log_size=10)  # a replica with a larger bound keeps what is there
    wider.put("t1", {}, 3, append=[_record("y")])
    assert [seq for seq, _ in _windows(wider.decisions("t1"))] == [11, 10, 9, 8]


def test_a_tenant_never_reads_another_tenants_records(open_store: OpenStore, namespace: str) -> None:
    store, other_namespace = open_store(namespace), open_store(f"{namespace}-other")
    store.put("team-a", {}, 0, append=[_record("blk_1")])
    store.put("team-b", {}, 0, append=[_record("blk_2")])
    assert store.decision("team-b", "blk_1") is None
    assert _windows(store.decisions("team-b")) == [(1, "blk_2")]
    assert other_namespace.decision("team-a", "blk_1") is None and other_namespace.decisions("team-a") == []
    store.put("team-b", {}, 1, amend=[_record("blk_1", verdict="normal")])  # B cannot amend A's window either
    assert store.decision("team-a", "blk_1") == _record("blk_1") | {"seq": 1}


def test_deleting_a_tenant_deletes_its_log(store: StateStore) -> None:
    store.put("t1", {}, 0, append=[_record("w1"), _record("w2")])
    store.put("t2", {}, 0, append=[_record("w1")])
    assert store.delete("t1") is True
    assert store.decision("t1", "w1") is None and store.decisions("t1") == []
    store.put("t1", {}, 0, append=[_record("w3")])
    assert _windows(store.decisions("t1")) == [(1, "w3")]  # numbering starts again with the new state
    assert _windows(store.decisions("t2")) == [(1, "w1")]


@pytest.mark.parametrize(
    ("records", "match"),
    [
        ([_record("w1"), {"score": 1.0}], 'record 1 to append .* "window"'),
        ([_record("")], 'record 0 to append .* "window"'),
        ([_record("w1", float("nan"))], "record 0 to append .* not JSON-serialisable"),
        (["w1"], 'record 0 to append .* "window"'),
    ],
)
def test_bad_records_are_rejected_and_nothing_is_written(store: StateStore, records: list, match: str) -> None:
    store.put("t1", {"n": 1}, 0)
    with pytest.raises(BadInputError, match=match):
        store.put("t1", {"n": 2}, 1, append=records)
    with pytest.raises(BadInputError, match=match.replace("append", "amend")):
        store.put("t1", {"n": 2}, 1, amend=records)
    assert store.get("t1") == TenantState(1, {"n": 1}) and store.decisions("t1") == []


def test_bad_reads_and_bounds_are_clear_errors(open_store: OpenStore, namespace: str) -> None:
    store = open_store(namespace)
    for call, match in (
        (lambda: store.decision("t1", 7), "window id must be a string"),
        (lambda: store.decision("../x", "w1"), "tenant name"),
        (lambda: store.decisions("t1", limit=0), "limit must be an integer >= 1"),
        (lambda: store.decisions("t1", before=True), "before must be an integer >= 1"),
    ):
        with pytest.raises(BadInputError, match=match):
            call()
    for size in (0, -1, 2.5, True):
        with pytest.raises(ConfigError, match="decision log size"):
            open_store(namespace, decision_log_size=size)
