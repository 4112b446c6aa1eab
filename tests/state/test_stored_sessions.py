"""Open sessions stored as rows: a request that loads only what ``WindowQuery`` selects gives the windows of a fully
loaded state, and reads and writes only what it touches."""

from __future__ import annotations

import json
import random
import sqlite3
from contextlib import closing
from typing import Any

import pytest

from logad.data.types import LogRecord, LogSequence
from logad.data.windows import WindowSpec
from logad.errors import BadInputError
from logad.state import SqliteStateStore, StateConflict, StateStore, WindowQuery, WindowWrite
from logad.streaming import StreamConfig, StreamWindower
from logad.streaming.tenant_stream import TenantStream

SESSION = WindowSpec.parse(r"session:blk_-?\d+")
CONFIGS = {
    "event-time": StreamConfig(session_idle_seconds=200, session_idle_lines=10**6, max_open_windows=10**6),
    "lines": StreamConfig(session_idle_seconds=10**9, session_idle_lines=40, max_open_windows=10**6),
    "wall-clock": StreamConfig(session_idle_wall_seconds=30, max_open_windows=10**6),
    "lru": StreamConfig(max_open_windows=5, max_window_events=7),
    "all": StreamConfig(200, 25, 60, 6, 9),
    "long": StreamConfig(3000, 200, 300, 30, 25),  # sessions live for many requests: most are read without events
}


def records(n: int, seed: int, timed: float, late: float = 0.0) -> list[LogRecord]:
    """Lines naming 0-2 of 40 blocks, with time gaps (some long); a ``timed`` share of them has a timestamp, a
    ``late`` share of those one 300 s behind the clock."""
    rng = random.Random(seed)
    blocks = [f"blk_{rng.randint(0, 10**9)}" for _ in range(40)]
    out, clock = [], 1_226_000_000.0
    for i in range(n):
        clock += rng.choice([0, 1, 3, 60, 250])
        named = " and ".join(rng.sample(blocks, rng.choice([0, 1, 1, 2]))) or "nothing"
        stamp = clock - 300 * (rng.random() < late)
        out.append(LogRecord(i + 1, f"op on {named}", stamp if rng.random() < timed else None))
    return out


def as_tuples(windows: list[LogSequence]) -> list[tuple[Any, ...]]:
    return [(w.id, w.messages, w.timestamps, w.order) for w in windows]


def requests(items: list[LogRecord], seed: int) -> list[list[LogRecord]]:
    rng, out, index = random.Random(seed), [], 0
    while index < len(items):
        size = rng.randint(0, 30)
        out.append(items[index : index + size])
        index += size
    return out


@pytest.mark.parametrize(("timed", "late"), [(1.0, 0.0), (0.6, 0.0), (1.0, 0.2)])
@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_loading_only_the_queried_sessions_gives_the_fully_loaded_windows(
    store: StateStore, config: StreamConfig, timed: float, late: float
) -> None:
    """Sessions a request names are read without their events unless it may close them (see ``query``)."""
    windower = StreamWindower(SESSION, config)
    stream = TenantStream(windower, {}, "m1")
    full: dict[str, Any] = {}
    expected, got, without_events = [], [], 0
    state, version = stream.current({}), 0
    batches = requests(records(600, 1, timed, late), 2)
    for i, batch in enumerate(batches):
        now, flush = 1000.0 + 7 * i, i == len(batches) - 1
        closed, full = windower.push(full, batch, now)
        expected += closed + (windower.flush(full)[0] if flush else [])
        loaded = store.open_windows("t", stream.window_query(state, batch, flush, now))
        closed, state, rows = stream.add_lines(state, loaded, batch, 0, flush, now)
        got += closed
        without_events += sum(row["kept"] > 0 for row in loaded.values())
        version = store.put("t", state, version, windows=rows)
        stored = store.open_windows("t", WindowQuery(every=True))
        assert len(stored) == windower.open_windows(state["windows"]) and state["windows"]["sessions"] == {}
        if not flush:
            assert stored == full["sessions"]  # rows equal to the fully loaded state's sessions
    assert as_tuples(got) == as_tuples(expected) and len(expected) > 20
    assert store.open_windows("t", WindowQuery(every=True)) == {}
    assert config is not CONFIGS["long"] or without_events > len(batches)


def test_a_request_reads_the_sessions_it_names_not_all_that_are_open(store: StateStore) -> None:
    windower = StreamWindower(SESSION, StreamConfig())
    stream = TenantStream(windower, {}, "m1")
    opened = [LogRecord(i + 1, f"open blk_{i}", 1_226_000_000.0 + i) for i in range(500)]
    loaded = store.open_windows("t", stream.window_query(stream.current({}), opened, False))
    _, state, rows = stream.add_lines(stream.current({}), loaded, opened, 0, False)
    store.put("t", state, 0, windows=rows)
    assert len(rows.put) == 500 and windower.open_windows(state["windows"]) == 500
    touch = [LogRecord(1, "write blk_7 to blk_400", 1_226_000_600.0)]
    query = stream.window_query(state, touch, False)
    loaded = store.open_windows("t", query)
    assert sorted(loaded) == ["blk_400", "blk_7"]
    _, state, rows = stream.add_lines(state, loaded, touch, 0, False)
    assert sorted(rows.put) == ["blk_400", "blk_7"] and rows.delete == ()
    assert rows.put["blk_7"]["events"][-1][0] == "write blk_7 to blk_400"


def test_a_document_holding_its_sessions_moves_them_to_rows(store: StateStore) -> None:
    """States written before sessions were stored apart keep every open session in the document."""
    windower = StreamWindower(SESSION, StreamConfig())
    stream = TenantStream(windower, {}, "m1")
    _, embedded = windower.push({}, [LogRecord(1, "open blk_1", 5.0), LogRecord(2, "open blk_2", 6.0)])
    del embedded["open"]
    old = {**stream.current({}), "windows": embedded}
    store.put("t", old, 0)
    more = [LogRecord(1, "close blk_2", 7.0)]
    _, state, rows = stream.add_lines(
        old, store.open_windows("t", stream.window_query(old, more, False)), more, 0, False
    )
    assert sorted(rows.put) == ["blk_1", "blk_2"] and state["windows"]["open"] == 2
    store.put("t", state, 1, windows=rows)
    closed, _, _ = stream.add_lines(state, store.open_windows("t", WindowQuery(every=True)), [], 0, True)
    assert [(w.id, w.messages) for w in closed] == [("blk_1", ["open blk_1"]), ("blk_2", ["open blk_2", "close blk_2"])]


def row(seen: int, last: float | None = None, wall: float | None = None) -> dict[str, Any]:
    return {
        "order": seen,
        "part": 1,
        "seen": seen,
        "last": last,
        "wall": wall,
        "kept": 0,
        "events": [["e", last, None]],
    }


def bare(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` as a query that names it reads it: its metadata, its events counted but not read."""
    return {**row, "events": [], "kept": row["kept"] + len(row["events"])}


ROWS = {"a": row(5, 100.0, 1.0), "b": row(3, None, 2.0), "c": row(3, 50.0), "d": row(9, None), "e": row(1, 300.0, 9.0)}


@pytest.mark.parametrize(
    ("query", "selected", "without_events"),
    [
        (WindowQuery(ids=("d", "zz", "a", "d")), ["a", "d"], "ad"),  # unknown ids are not rows
        (WindowQuery(last_up_to=100.0), ["c", "a"], ""),  # timed rows only
        (WindowQuery(seen_up_to=5), ["b"], ""),  # untimed rows only
        (WindowQuery(wall_up_to=2.0), ["b", "a"], ""),
        (WindowQuery(oldest=3), ["e", "b", "c"], ""),  # by seen, ties by id
        (WindowQuery(ids=("e",), seen_up_to=9, oldest=1), ["e", "b", "d"], ""),  # a union
        (WindowQuery(ids=("a", "b"), seen_up_to=5), ["b", "a"], "a"),  # b is also selected as idle
        (WindowQuery(ids=("a", "d"), full_at_count=1), ["a", "d"], ""),  # they hold 1 event each
        (WindowQuery(ids=("a", "d"), full_at_count=2), ["a", "d"], "ad"),
        (WindowQuery(ids=("a",), full_at_count=0), ["a"], ""),
        (WindowQuery(every=True), ["e", "b", "c", "a", "d"], ""),
        (WindowQuery(), [], ""),
    ],
)
def test_queries_select_rows_by_id_idleness_and_age(
    store: StateStore, query: WindowQuery, selected: list[str], without_events: str
) -> None:
    """Rows selected only by id come without their events unless they hold ``full_at_count``; others with them."""
    store.put("t", {}, 0, windows=WindowWrite(ROWS))
    assert list(store.open_windows("t", query)) == selected
    expected = {window: bare(ROWS[window]) if window in without_events else ROWS[window] for window in selected}
    assert store.open_windows("t", query) == expected


def test_rows_are_written_with_the_state_or_not_at_all_and_go_with_the_tenant(store: StateStore) -> None:
    store.put("t", {}, 0, windows=WindowWrite(ROWS))
    store.put("other", {}, 0, windows=WindowWrite({"a": row(1)}))
    moved = {"b": row(20, 400.0)}  # b gets a timestamp: it leaves the untimed index
    store.put("t", {"n": 1}, 1, windows=WindowWrite(moved, delete=("a", "zz")))
    assert store.open_windows("t", WindowQuery(seen_up_to=100)) == {"d": ROWS["d"]}
    assert list(store.open_windows("t", WindowQuery(every=True))) == ["e", "c", "d", "b"]
    with pytest.raises(StateConflict):
        store.put("t", {}, 1, windows=WindowWrite({"x": row(1)}, delete=("b",)))
    assert "x" not in store.open_windows("t", WindowQuery(every=True)) and store.get("t").version == 2
    store.delete("t")
    assert store.open_windows("t", WindowQuery(every=True)) == {}
    assert store.open_windows("other", WindowQuery(every=True)) == {"a": row(1)}


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ({"w": {"seen": "3", "last": None, "wall": None}}, "'seen' must be an integer"),
        ({"w": {"seen": 3, "last": True, "wall": None}}, "'last' must be a number"),
        ({"w": {"seen": 3, "last": None, "wall": "now"}}, "'wall' must be a number"),
        (
            {"w": {"seen": 3, "last": float("inf"), "wall": None, "events": []}},
            "open window 'w' of tenant 't' is not JSON",
        ),
        ({"w": {"seen": 3, "last": None, "wall": None}}, "'events' must be a list"),
        ({"w": {**row(3), "kept": -1}}, "'kept' must be an integer >= 0"),
        ({"w": {**row(3), "count": 1}}, "'count' is the stores' own field"),
        ({"w": {**row(3), "events": [float("nan")]}}, "open window 'w' of tenant 't' is not JSON"),
        ({"": row(1)}, "non-empty string"),
    ],
)
def test_malformed_rows_are_refused_naming_the_window(store: StateStore, rows: dict, match: str) -> None:
    with pytest.raises(BadInputError, match=match):
        store.put("t", {}, 0, windows=WindowWrite(rows))
    assert store.get("t").version == 0


# ---- events stored apart from their rows, append-only ----------------------------------------------------------
def raw_chunks(store: StateStore, tenant: str) -> dict[str, list[str]]:
    """The tenant's stored event chunks, read straight from the backend: window -> chunk texts in order (SQLite: those
    of the layout before batches, then the batches)."""
    if isinstance(store, SqliteStateStore):
        with closing(sqlite3.connect(store.path)) as conn:
            key = (store.namespace, tenant)
            found = [
                *conn.execute(
                    "SELECT window_id, events FROM open_window_events WHERE namespace = ? AND tenant = ? "
                    "ORDER BY window_id, chunk",
                    key,
                ),
                *conn.execute(
                    "SELECT window_id, events FROM open_window_batch WHERE namespace = ? AND tenant = ? "
                    "ORDER BY window_id, version",
                    key,
                ),
            ]
        chunks: dict[str, list[str]] = {}
        for window, events in found:
            chunks.setdefault(window, []).append(events)
        return chunks
    client, prefix = store._client, f"logad:{{{store.namespace}}}"
    counts = {key.decode(): int(value) for key, value in client.hgetall(f"{prefix}:winchunks:{tenant}").items()}
    return {
        window: [client.hget(f"{prefix}:winevents:{tenant}", f"{window}:{n}").decode() for n in range(count)]
        for window, count in counts.items()
    }


def raw_set(store: StateStore, tenant: str, window: str, text: str | None = None, chunks: list[str] = ()) -> None:
    """Overwrite a stored row's text (when given) and replace its chunks, straight in the backend (SQLite: as the
    layout before batches stored them)."""
    if isinstance(store, SqliteStateStore):
        key = (store.namespace, tenant, window)
        with closing(sqlite3.connect(store.path, isolation_level=None)) as conn:
            if text is not None:
                conn.execute(
                    "UPDATE open_window SET row = ? WHERE namespace = ? AND tenant = ? AND window_id = ?", (text, *key)
                )
            conn.execute(
                "UPDATE open_window SET batches = NULL WHERE namespace = ? AND tenant = ? AND window_id = ?", key
            )
            conn.execute("DELETE FROM open_window_batch WHERE namespace = ? AND tenant = ? AND window_id = ?", key)
            conn.execute("DELETE FROM open_window_events WHERE namespace = ? AND tenant = ? AND window_id = ?", key)
            conn.executemany(
                "INSERT INTO open_window_events (namespace, tenant, window_id, chunk, events) VALUES (?, ?, ?, ?, ?)",
                [(*key, n, chunk) for n, chunk in enumerate(chunks)],
            )
        return
    client, prefix = store._client, f"logad:{{{store.namespace}}}"
    if text is not None:
        client.hset(f"{prefix}:win:{tenant}", window, text)
    client.hdel(f"{prefix}:winchunks:{tenant}", window)
    if chunks:
        client.hset(f"{prefix}:winchunks:{tenant}", window, len(chunks))
    for n, chunk in enumerate(chunks):
        client.hset(f"{prefix}:winevents:{tenant}", f"{window}:{n}", chunk)


def line(content: str, stamp: float | None = None) -> list[LogRecord]:
    return [LogRecord(1, content, stamp)]


def served(
    store: StateStore, stream: TenantStream, state: dict[str, Any], version: int, batch: list[LogRecord], **kw: Any
):
    """A request served as the transformer does: (windows, new document, rows read, rows written, new version)."""
    loaded = store.open_windows("t", stream.window_query(state, batch, False, **kw))
    closed, state, rows = stream.add_lines(state, loaded, batch, 0, False)
    return closed, state, loaded, rows, store.put("t", state, version, windows=rows)


def test_a_request_reads_and_writes_only_the_events_it_adds(store: StateStore) -> None:
    windower = StreamWindower(SESSION, StreamConfig())
    stream = TenantStream(windower, {}, "m1")
    state, version, full = stream.current({}), 0, {}
    for i in range(40):
        batch = [LogRecord(1, f"op {i} on blk_1", 1000.0 + i), LogRecord(2, f"op {i} on blk_{2 + i % 3}", 1000.0 + i)]
        _, full = windower.push(full, batch)
        _, state, loaded, rows, version = served(store, stream, state, version, batch)
        for window, written in rows.put.items():
            assert written["events"] == [
                [r.content, r.timestamp, None] for r in batch if f"{window} " in f"{r.content} "
            ]
            assert window not in loaded or (
                loaded[window]["events"] == [] and written["kept"] == loaded[window]["kept"]
            )
    assert len(raw_chunks(store, "t")["blk_1"]) == 40  # one chunk per request, none rewritten
    assert store.open_windows("t", WindowQuery(every=True)) == full["sessions"]
    closed, _, _ = stream.add_lines(state, store.open_windows("t", WindowQuery(every=True)), [], 0, True)
    assert as_tuples(closed) == as_tuples(windower.flush(full)[0])


def test_a_session_reaching_max_window_events_is_read_in_full_and_starts_over(store: StateStore) -> None:
    windower = StreamWindower(SESSION, StreamConfig(max_window_events=5))
    stream = TenantStream(windower, {}, "m1")
    state, version, full, got, expected = stream.current({}), 0, {}, [], []
    for i in range(12):
        batch = line(f"op {i} on blk_1", 1000.0 + i)
        closed, full = windower.push(full, batch)
        expected += closed
        closed, state, loaded, rows, version = served(store, stream, state, version, batch)
        got += closed
        stored = i % 5  # events stored before this request: read in full when it may close, or holds none
        assert i == 0 or loaded["blk_1"]["kept"] == (0 if stored == 4 else stored)
        assert rows.put["blk_1"]["kept"] == (0 if stored in (0, 4) else stored)  # a full one replaces its events
    assert [w.id for w in got] == ["blk_1", "blk_1#2"] and as_tuples(got) == as_tuples(expected)
    assert store.open_windows("t", WindowQuery(every=True)) == full["sessions"]
    assert full["sessions"]["blk_1"]["part"] == 3 and len(raw_chunks(store, "t")["blk_1"]) == 2


def test_provisional_scoring_reads_the_named_sessions_in_full(store: StateStore) -> None:
    stream = TenantStream(StreamWindower(SESSION, StreamConfig()), {}, "m1")
    state, version = stream.current({}), 0
    for i in range(3):
        _, state, _, _, version = served(store, stream, state, version, line(f"op {i} on blk_1", 1.0))
    before = state
    _, _, loaded, rows, _ = served(store, stream, state, version, line("op 3 on blk_1", 1.0), provisional=True)
    assert loaded["blk_1"]["kept"] == 0 and len(loaded["blk_1"]["events"]) == 3
    [window] = stream.provisional(before, rows, 4)
    assert window.messages == [f"op {i} on blk_1" for i in range(4)]
    _, _, rows = stream.add_lines(
        state, store.open_windows("t", stream.window_query(state, line("blk_1"), False)), line("blk_1"), 0, False
    )
    with pytest.raises(ValueError, match="not loaded in full"):
        stream.provisional(state, rows, 1)


@pytest.mark.parametrize(
    ("config", "stored", "batch"),
    [  # a late line leaves the session it names idle by event time; untimed lines, by line count
        (
            StreamConfig(session_idle_seconds=200),
            1950.0,
            [LogRecord(1, "blk_2", 2000.0), LogRecord(2, "blk_1", 1700.0)],
        ),
        (StreamConfig(session_idle_lines=3), None, [LogRecord(i, f"blk_{i}", None) for i in range(1, 5)]),
    ],
)
def test_a_named_session_a_request_leaves_idle_is_read_in_full(
    store: StateStore, config: StreamConfig, stored: float | None, batch: list[LogRecord]
) -> None:
    windower = StreamWindower(SESSION, config)
    stream = TenantStream(windower, {}, "m1")
    first = [LogRecord(1, "open blk_1", stored), LogRecord(2, "open blk_2", stored)]
    _, full = windower.push({}, first)
    _, state, _, _, version = served(store, stream, stream.current({}), 0, first)
    query = stream.window_query(state, batch, False)
    assert query.full_at_count == 0
    without_events = store.open_windows("t", WindowQuery(ids=("blk_1",)))  # as a query that did not foresee it
    with pytest.raises(ValueError, match="'blk_1' closes with 1 of its events not loaded"):
        stream.add_lines(state, without_events, batch, 0, False)
    expected, _ = windower.push(full, batch)
    got, _, _, _, _ = served(store, stream, state, version, batch)
    assert "blk_1" in [w.id for w in got] and as_tuples(got) == as_tuples(expected)


def test_rows_written_before_events_were_stored_apart_are_read_in_full_and_moved(store: StateStore) -> None:
    windower = StreamWindower(SESSION, StreamConfig())
    stream = TenantStream(windower, {}, "m1")
    first = [LogRecord(1, "open blk_1", 5.0), LogRecord(2, "open blk_2", 6.0), LogRecord(3, "more blk_1", 7.0)]
    _, state, _, _, version = served(store, stream, stream.current({}), 0, first)
    _, full = windower.push({}, first)
    for window, session in full["sessions"].items():  # as the previous version stored them: events in the row
        del session["kept"]
        raw_set(store, "t", window, json.dumps(session))
    assert raw_chunks(store, "t") == {} and store.open_windows("t", WindowQuery(ids=("blk_1",))) == {
        "blk_1": {**full["sessions"]["blk_1"], "kept": 0}
    }
    _, state, _, rows, version = served(store, stream, state, version, line("close blk_1", 8.0))
    assert rows.put["blk_1"]["kept"] == 0 and len(rows.put["blk_1"]["events"]) == 3  # all of them, moved to chunks
    assert store.open_windows("t", WindowQuery(ids=("blk_1",)))["blk_1"]["kept"] == 3
    closed, _, _ = stream.add_lines(state, store.open_windows("t", WindowQuery(every=True)), [], 0, True)
    assert [(w.id, len(w)) for w in closed] == [("blk_1", 3), ("blk_2", 1)]


@pytest.mark.parametrize(
    ("text", "chunks", "match"),
    [
        (None, ['[["e",1.0,null]]', "[oops"], "not JSON"),
        (None, ['{"e": 1}'], "is not a JSON array"),
        (None, ['[["e",1.0,null]]', '[["f",2.0,null]]', '[["g",3.0,null]]'], "counts 2 events, its chunks hold 3"),
        ('{"order":1,"part":1,"seen":1,"last":1.0,"wall":null,"count":"2"}', None, "'count' and 'seen' must be"),
        ("{oops", None, "not JSON"),
        ("[1]", None, "is not a JSON object"),
    ],
)
def test_malformed_stored_events_are_bad_input(
    store: StateStore, text: str | None, chunks: list[str] | None, match: str
) -> None:
    store.put("t", {}, 0, windows=WindowWrite({"w": row(1, 1.0)}))
    store.put("t", {}, 1, windows=WindowWrite({"w": {**row(1, 2.0), "kept": 1, "events": [["f", 2.0, None]]}}))
    raw_set(store, "t", "w", text, chunks if chunks is not None else raw_chunks(store, "t")["w"])
    with pytest.raises(BadInputError, match=f"stored open window 'w' of tenant 't' is malformed: .*{match}"):
        store.open_windows("t", WindowQuery(every=True))


def test_an_append_must_follow_every_stored_event(store: StateStore) -> None:
    store.put("t", {}, 0, windows=WindowWrite({"w": row(1, 1.0)}))
    after = {"w": {**row(2, 2.0), "kept": 2, "events": [["f", 2.0, None]]}}
    with pytest.raises(BadInputError, match="'w' of tenant 't': a put appends after 2 events, but 1 are stored"):
        store.put("t", {"n": 1}, 1, windows=WindowWrite(after))
    with pytest.raises(BadInputError, match="'x' of tenant 't': a put appends after 2 events, but no count is stored"):
        store.put("t", {"n": 1}, 1, windows=WindowWrite({"x": after["w"]}))
    assert store.get("t").version == 1 and store.open_windows("t", WindowQuery(every=True)) == {"w": row(1, 1.0)}
    store.put("t", {"n": 1}, 1, windows=WindowWrite({"w": {**after["w"], "kept": 1}}))
    assert store.open_windows("t", WindowQuery(every=True))["w"]["events"] == [["e", 1.0, None], ["f", 2.0, None]]


def test_deleted_windows_and_tenants_take_their_events_along(store: StateStore) -> None:
    again = {**row(2, 2.0), "kept": 1, "events": [["f", 2.0, None]]}
    for tenant in ("t", "other"):
        store.put(tenant, {}, 0, windows=WindowWrite({"a": row(1, 1.0), "b": row(1, 1.0), "c": row(1, 1.0)}))
        store.put(tenant, {}, 1, windows=WindowWrite({"a": again, "b": again}))
    store.put("t", {}, 2, windows=WindowWrite({"b": row(3, 3.0)}, delete=("a",)))  # b's events replaced
    assert raw_chunks(store, "t") == {"b": ['[["e",3.0,null]]'], "c": ['[["e",1.0,null]]']}
    assert store.delete("t") and raw_chunks(store, "t") == {}
    assert {window: len(chunks) for window, chunks in raw_chunks(store, "other").items()} == {"a": 2, "b": 2, "c": 1}


def test_the_windower_never_closes_a_session_whose_events_are_not_loaded() -> None:
    windower = StreamWindower(SESSION, StreamConfig())
    _, state = windower.push({}, line("open blk_1", 1.0))
    state["sessions"]["blk_1"] |= {"kept": 4, "events": []}
    with pytest.raises(ValueError, match="'blk_1' closes with 4 of its events not loaded"):
        windower.flush(state)
    _, later = windower.push(state, line("more blk_1", 2.0))
    assert later["sessions"]["blk_1"] == {
        **state["sessions"]["blk_1"],
        "seen": 2,
        "last": 2.0,
        "events": [["more blk_1", 2.0, None]],
    }


@pytest.mark.parametrize(
    ("query", "match"),
    [
        (WindowQuery(oldest=-1), "'oldest' must be an integer >= 0"),
        (WindowQuery(oldest=True), "'oldest' must be an integer >= 0"),
        (WindowQuery(full_at_count=-1), "'full_at_count' must be an integer >= 0"),
        (WindowQuery(full_at_count=2.0), "'full_at_count' must be an integer >= 0"),
        (WindowQuery(ids=(1,)), "ids must be strings"),
    ],
)
def test_malformed_queries_are_bad_input(store: StateStore, query: WindowQuery, match: str) -> None:
    with pytest.raises(BadInputError, match=match):
        store.open_windows("t", query)
