"""SQLite's event layout: a put's new events are one batch at the end of the table, and a database written before
batches were kept opens, reads and appends to its windows."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from logad.errors import BadInputError
from logad.state import SqliteStateStore, WindowQuery, WindowWrite
from logad.state.sqlite import _BATCHES, _SCHEMA


def _row(seen: int, events: list[str], kept: int = 0) -> dict:
    return {"order": 1, "part": 1, "seen": seen, "last": float(seen), "wall": None, "kept": kept,
            "events": [[text, float(seen), None] for text in events]}  # fmt: skip


def _batches(path: Path) -> list[tuple[int, str]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT version, window_id FROM open_window_batch ORDER BY version, window_id").fetchall()


def test_the_events_a_put_adds_are_one_batch_keyed_by_its_version(tmp_path: Path) -> None:
    store = SqliteStateStore(tmp_path / "s.db", "ns")
    store.put("t", {}, 0, windows=WindowWrite({w: _row(1, [f"open {w}"]) for w in ("a", "b", "c")}))
    version = store.put("t", {}, 1, windows=WindowWrite({w: _row(2, [f"more {w}"], kept=1) for w in ("a", "c")}))
    # the second put's events sit together after the first's, whatever their windows' ids
    assert _batches(tmp_path / "s.db") == [(1, "a"), (1, "b"), (1, "c"), (version, "a"), (version, "c")]
    read = store.open_windows("t", WindowQuery(every=True))
    assert [event[0] for event in read["a"]["events"]] == ["open a", "more a"]
    assert store.open_windows("t", WindowQuery(ids=("c",), full_at_count=0))["c"]["events"] == read["c"]["events"]
    store.put("t", {}, version, windows=WindowWrite({"b": _row(3, ["anew b"])}, delete=("a",)))
    assert _batches(tmp_path / "s.db") == [(1, "c"), (2, "c"), (3, "b")]  # a's and b's earlier batches are gone


def test_a_put_closing_a_tenants_last_windows_clears_only_that_tenants_events(tmp_path: Path) -> None:
    store, other = SqliteStateStore(tmp_path / "s.db", "ns"), SqliteStateStore(tmp_path / "s.db", "ns2")
    for owner, tenant in ((store, "t"), (store, "u"), (other, "t")):
        owner.put(tenant, {}, 0, windows=WindowWrite({w: _row(1, [f"{tenant} {w}"]) for w in ("a", "b")}))
        owner.put(tenant, {}, 1, windows=WindowWrite({"a": _row(2, [f"{tenant} a again"], kept=1)}))
    # as many ids as windows, but not every window: a's events stay
    store.put("t", {}, 2, windows=WindowWrite({}, delete=("b", "never-open")))
    assert _texts(store, "a") == ["t a", "t a again"]
    store.put("t", {}, 3, windows=WindowWrite({}, delete=("a", "never-open")))  # every window (a flush)
    with closing(sqlite3.connect(tmp_path / "s.db")) as conn:
        left = conn.execute("SELECT DISTINCT namespace, tenant FROM open_window_batch ORDER BY 1, 2").fetchall()
    assert left == [("ns", "u"), ("ns2", "t")]
    assert store.open_windows("t", WindowQuery(every=True)) == {}
    for owner, tenant in ((store, "u"), (other, "t")):
        read = owner.open_windows(tenant, WindowQuery(every=True))
        assert [event[0] for event in read["a"]["events"]] == [f"{tenant} a", f"{tenant} a again"]


def _to_layout_before_batches(path: Path) -> None:
    """Rewrite a store's database as the layout before batches stored it: chunks keyed by window, no column."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        found = conn.execute(
            "SELECT namespace, tenant, window_id, events FROM open_window_batch ORDER BY window_id, version"
        ).fetchall()
        chunks: dict[tuple[str, str, str], int] = {}
        for namespace, tenant, window, events in found:
            key = (namespace, tenant, window)
            conn.execute("INSERT INTO open_window_events VALUES (?, ?, ?, ?, ?)", (*key, chunks.get(key, 0), events))
            chunks[key] = chunks.get(key, 0) + 1
        conn.execute("DROP TABLE open_window_batch")
        conn.execute("ALTER TABLE open_window DROP COLUMN batches")


def _texts(store: SqliteStateStore, window: str) -> list[str]:
    return [event[0] for event in store.open_windows("t", WindowQuery(every=True))[window]["events"]]


def test_a_database_from_before_batches_opens_and_its_windows_go_on(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with closing(SqliteStateStore(path, "ns")) as store:
        store.put("t", {}, 0, windows=WindowWrite({"a": _row(1, ["one", "two"]), "b": _row(1, ["b"])}))
        store.put("t", {}, 1, windows=WindowWrite({"a": _row(2, ["three"], kept=2)}))
    _to_layout_before_batches(path)
    with closing(SqliteStateStore(path, "ns")) as store:
        assert _texts(store, "a") == ["one", "two", "three"]
        store.put("t", {}, 2, windows=WindowWrite({"a": _row(3, ["four"], kept=3)}))  # old chunks, then a batch
        assert _texts(store, "a") == ["one", "two", "three", "four"]
        store.put("t", {}, 3, windows=WindowWrite({}, delete=("a", "b")))
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM open_window_events").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM open_window_batch").fetchone() == (0,)


@pytest.mark.parametrize("batches", ["not json", '{"a": 1}', '["1"]'])
def test_a_malformed_batches_column_is_bad_input_naming_the_window(tmp_path: Path, batches: str) -> None:
    store = SqliteStateStore(tmp_path / "s.db", "ns")
    store.put("t", {}, 0, windows=WindowWrite({"w": _row(1, ["e"])}))
    with closing(sqlite3.connect(tmp_path / "s.db", isolation_level=None)) as conn:
        conn.execute("UPDATE open_window SET batches = ?", (batches,))
    with pytest.raises(BadInputError, match="stored open window 'w' of tenant 't' is malformed"):
        store.open_windows("t", WindowQuery(every=False, ids=("w",), full_at_count=0))
    with pytest.raises(BadInputError, match="stored open window 'w' of tenant 't' is malformed"):
        store.put("t", {}, 1, windows=WindowWrite({"w": _row(2, ["f"])}))


def test_a_window_reads_its_batches_by_their_keys_not_by_scanning_the_tenants() -> None:
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.executescript(_SCHEMA)
        plan = [
            row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {_BATCHES} AND o.window_id IN (?)", ("ns", "t", "w"))
        ]
    assert "SEARCH b USING PRIMARY KEY (namespace=? AND tenant=? AND version=? AND window_id=?)" in plan, plan
