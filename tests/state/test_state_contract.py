"""The StateStore contract, on SQLite and on Redis."""

from __future__ import annotations

import math

import pytest
from state_helpers import OpenStore

from logad.errors import BadInputError, ConfigError
from logad.state import StateConflict, StateStore, TenantState


def test_absent_tenant_has_version_zero_and_no_data(store: StateStore) -> None:
    assert store.get("t1") == TenantState(0, {})
    assert store.tenants() == []
    assert store.delete("t1") is False


def test_put_get_round_trip_and_versions_increment(store: StateStore) -> None:
    data = {"windows": {"blk_1": ["E5", "E22"]}, "threshold": {"value": 0.73, "n": 12}, "ok": True, "none": None}
    assert store.put("t1", data, 0) == 1
    assert store.get("t1") == TenantState(1, data)
    assert store.put("t1", {"n": 2}, 1) == 2
    assert store.put("t1", {"n": 3}, 2) == 3
    assert store.get("t1") == TenantState(3, {"n": 3})


def test_stale_version_conflicts_and_keeps_the_stored_state(store: StateStore) -> None:
    store.put("t1", {"n": 1}, 0)
    store.put("t1", {"n": 2}, 1)
    for stale in (0, 1, 5):
        with pytest.raises(StateConflict, match=rf"'t1'.*expected version {stale}, stored version 2"):
            store.put("t1", {"n": -1}, stale)
    assert store.get("t1") == TenantState(2, {"n": 2})
    with pytest.raises(StateConflict):  # creating a tenant that has no state expects version 0
        store.put("t2", {"n": 1}, 1)
    assert store.tenants() == ["t1"]


def test_delete_removes_state_and_resets_the_version(store: StateStore) -> None:
    store.put("t1", {"n": 1}, 0)
    store.put("t2", {"n": 1}, 0)
    assert store.delete("t1") is True
    assert store.delete("t1") is False
    assert store.get("t1") == TenantState(0, {})
    assert store.tenants() == ["t2"]
    assert store.put("t1", {"n": 9}, 0) == 1


def test_tenants_are_sorted(store: StateStore) -> None:
    for tenant in ("zeta", "Alpha", "beta-2", "beta.1", "0x"):
        store.put(tenant, {}, 0)
    assert store.tenants() == sorted(["zeta", "Alpha", "beta-2", "beta.1", "0x"])


def test_namespaces_sharing_a_backend_are_isolated(open_store: OpenStore) -> None:
    first, second = open_store("hdfs-logsentry"), open_store("hdfs-logllm")
    first.put("t1", {"model": "logsentry"}, 0)
    first.put("only-first", {}, 0)
    assert second.get("t1") == TenantState(0, {})
    assert second.put("t1", {"model": "logllm"}, 0) == 1
    assert first.tenants() == ["only-first", "t1"]
    assert second.tenants() == ["t1"]
    assert second.delete("t1") is True
    assert first.get("t1") == TenantState(1, {"model": "logsentry"})


def test_a_second_connection_sees_committed_state(open_store: OpenStore, namespace: str) -> None:
    writer, reader = open_store(namespace), open_store(namespace)
    writer.put("t1", {"n": 1}, 0)
    assert reader.get("t1") == TenantState(1, {"n": 1})
    with pytest.raises(StateConflict):
        reader.put("t1", {"n": 0}, 0)


@pytest.mark.parametrize("tenant", ["", "a b", "../etc", "..", ".hidden", "x" * 64, "t1;DROP", 7])
def test_invalid_tenant_names_are_rejected_by_every_method(store: StateStore, tenant: str) -> None:
    for call in (
        lambda: store.get(tenant),
        lambda: store.put(tenant, {}, 0),
        lambda: store.delete(tenant),
    ):
        with pytest.raises(BadInputError, match="tenant name"):
            call()
    assert store.tenants() == []


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"score": math.nan}, "not JSON-serialisable"),
        ({"score": math.inf}, "not JSON-serialisable"),
        ({"when": object()}, "not JSON-serialisable"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_data_that_is_not_a_finite_json_object_is_rejected(store: StateStore, data: object, match: str) -> None:
    store.put("t1", {"n": 1}, 0)
    with pytest.raises(BadInputError, match=match):
        store.put("t1", data, 1)  # type: ignore[arg-type]
    assert store.get("t1") == TenantState(1, {"n": 1})


@pytest.mark.parametrize("expected", [-1, True, 1.0, "1"])
def test_expected_version_must_be_a_non_negative_int(store: StateStore, expected: object) -> None:
    with pytest.raises(BadInputError, match="expected_version"):
        store.put("t1", {}, expected)  # type: ignore[arg-type]
    assert store.get("t1") == TenantState(0, {})


@pytest.mark.parametrize("namespace", ["", "a:b", "{x}", "a b", "-x"])
def test_invalid_namespaces_are_a_config_error(open_store: OpenStore, namespace: str) -> None:
    with pytest.raises(ConfigError, match="namespace"):
        open_store(namespace)
