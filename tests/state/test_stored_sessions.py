"""Open sessions stored as rows: a request that loads only what ``WindowQuery`` selects gives the windows of a fully
loaded state, and reads and writes only what it touches."""

from __future__ import annotations

import random
from typing import Any

import pytest

from logad.data.types import LogRecord, LogSequence
from logad.data.windows import WindowSpec
from logad.errors import BadInputError
from logad.state import StateConflict, StateStore, WindowQuery, WindowWrite
from logad.streaming import StreamConfig, StreamWindower
from logad.streaming.tenant_stream import TenantStream

SESSION = WindowSpec.parse(r"session:blk_-?\d+")
CONFIGS = {
    "event-time": StreamConfig(session_idle_seconds=200, session_idle_lines=10**6, max_open_windows=10**6),
    "lines": StreamConfig(session_idle_seconds=10**9, session_idle_lines=40, max_open_windows=10**6),
    "wall-clock": StreamConfig(session_idle_wall_seconds=30, max_open_windows=10**6),
    "lru": StreamConfig(max_open_windows=5, max_window_events=7),
    "all": StreamConfig(200, 25, 60, 6, 9),
}


def records(n: int, seed: int, timed: float) -> list[LogRecord]:
    """Lines naming 0-2 of 40 blocks, with time gaps (some long); a ``timed`` share of them has a timestamp."""
    rng = random.Random(seed)
    blocks = [f"blk_{rng.randint(0, 10**9)}" for _ in range(40)]
    out, clock = [], 1_226_000_000.0
    for i in range(n):
        clock += rng.choice([0, 1, 3, 60, 250])
        named = " and ".join(rng.sample(blocks, rng.choice([0, 1, 1, 2]))) or "nothing"
        out.append(LogRecord(i + 1, f"op on {named}", clock if rng.random() < timed else None))
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


@pytest.mark.parametrize("timed", [1.0, 0.6])
@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_loading_only_the_queried_sessions_gives_the_fully_loaded_windows(
    store: StateStore, config: StreamConfig, timed: float
) -> None:
    windower = StreamWindower(SESSION, config)
    stream = TenantStream(windower, {}, "m1")
    full: dict[str, Any] = {}
    expected, got = [], []
    state, version = stream.current({}), 0
    batches = requests(records(600, 1, timed), 2)
    for i, batch in enumerate(batches):
        now, flush = 1000.0 + 7 * i, i == len(batches) - 1
        closed, full = windower.push(full, batch, now)
        expected += closed + (windower.flush(full)[0] if flush else [])
        loaded = store.open_windows("t", stream.window_query(state, batch, flush, now))
        closed, state, rows = stream.add_lines(state, loaded, batch, 0, flush, now)
        got += closed
        version = store.put("t", state, version, windows=rows)
        stored = store.open_windows("t", WindowQuery(every=True))
        assert len(stored) == windower.open_windows(state["windows"]) and state["windows"]["sessions"] == {}
        if not flush:
            assert stored == full["sessions"]  # rows equal to the fully loaded state's sessions
    assert as_tuples(got) == as_tuples(expected) and len(expected) > 20
    assert store.open_windows("t", WindowQuery(every=True)) == {}


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
    return {"order": seen, "part": 1, "seen": seen, "last": last, "wall": wall, "events": [["e", last, None]]}


ROWS = {"a": row(5, 100.0, 1.0), "b": row(3, None, 2.0), "c": row(3, 50.0), "d": row(9, None), "e": row(1, 300.0, 9.0)}


@pytest.mark.parametrize(
    ("query", "selected"),
    [
        (WindowQuery(ids=("d", "zz", "a", "d")), ["a", "d"]),  # unknown ids are not rows
        (WindowQuery(last_up_to=100.0), ["c", "a"]),  # timed rows only
        (WindowQuery(seen_up_to=5), ["b"]),  # untimed rows only
        (WindowQuery(wall_up_to=2.0), ["b", "a"]),
        (WindowQuery(oldest=3), ["e", "b", "c"]),  # by seen, ties by id
        (WindowQuery(ids=("e",), seen_up_to=9, oldest=1), ["e", "b", "d"]),  # a union
        (WindowQuery(every=True), ["e", "b", "c", "a", "d"]),
        (WindowQuery(), []),
    ],
)
def test_queries_select_rows_by_id_idleness_and_age(store: StateStore, query: WindowQuery, selected: list[str]) -> None:
    store.put("t", {}, 0, windows=WindowWrite(ROWS))
    assert list(store.open_windows("t", query)) == selected
    assert store.open_windows("t", query) == {window: ROWS[window] for window in selected}


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
        ({"w": {"seen": 3, "last": float("inf"), "wall": None}}, "open window 'w' of tenant 't' is not JSON"),
        ({"": row(1)}, "non-empty string"),
    ],
)
def test_malformed_rows_are_refused_naming_the_window(store: StateStore, rows: dict, match: str) -> None:
    with pytest.raises(BadInputError, match=match):
        store.put("t", {}, 0, windows=WindowWrite(rows))
    assert store.get("t").version == 0
