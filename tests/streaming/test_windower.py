"""Streaming windows: parity with offline windowing under any request split, purity, and session closing."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from logad.config import config_from_dict
from logad.data.formats import get_format
from logad.data.types import LogRecord, LogSequence
from logad.data.windows import WindowSpec, make_windows
from logad.errors import BadInputError, ConfigError
from logad.streaming import StreamConfig, StreamWindower, parse_lines

HDFS = get_format("hdfs")
BGL = "{label} {epoch} 2005.06.03 R02-M1-N0 2005-06-03-15.42.50.675872 R02-M1-N0 RAS KERNEL INFO {text}"
SESSION = r"session:blk_-?\d+"
NEVER_CLOSE = StreamConfig(10**9, 10**9, 10**9, 10**9)
START = dt.datetime(2008, 11, 9, 20, 0)


def hdfs_line(seconds: float, text: str) -> str:
    """An HDFS line ``seconds`` after 2008-11-09 20:00 whose content is ``text``."""
    stamp = (START + dt.timedelta(seconds=seconds)).strftime("%y%m%d %H%M%S")
    return f"{stamp} 148 INFO dfs.DataNode$PacketResponder: {text}"


def hdfs_stream(n: int, seed: int) -> list[str]:
    """HDFS lines with time gaps (some long) naming 0, 1 or 2 of 30 blocks."""
    rng = random.Random(seed)
    blocks = [f"blk_{rng.randint(-(10**18), 10**18)}" for _ in range(30)]
    lines, seconds = [], 0
    for _ in range(n):
        seconds += rng.choice([0, 0, 1, 2, 5, 130])
        named = rng.sample(blocks, rng.choice([0, 1, 1, 1, 2]))
        lines.append(hdfs_line(seconds, f"Received block {' and '.join(named) or 'list'} of size 67108864"))
    return lines


def chunks(items: Sequence[Any], rng: random.Random) -> Iterator[Sequence[Any]]:
    """``items`` split at random points, with some empty requests."""
    index = 0
    while index < len(items):
        size = rng.randint(0, 40)
        yield items[index : index + size]
        index += size


def stream(windower: StreamWindower, lines: list[str], seed: int, fmt=HDFS) -> tuple[list[LogSequence], dict]:
    """Push ``lines`` in random requests (the state stored as JSON between them), then flush."""
    state: dict[str, Any] = {}
    windows: list[LogSequence] = []
    for chunk in chunks(lines, random.Random(seed)):
        records, problems = parse_lines(chunk, fmt)
        assert not problems
        closed, state = windower.push(json.loads(json.dumps(state)), records)
        windows += closed
    closed, state = windower.flush(json.loads(json.dumps(state)))
    return windows + closed, state


def as_tuples(windows: list[LogSequence]) -> list[tuple]:
    return [(w.id, w.messages, w.timestamps, w.label, w.order) for w in windows]


@pytest.mark.parametrize("max_len", [None, 4])
@pytest.mark.parametrize("window", ["fixed:7", "sliding:10:3", "sliding:3:5", "time:30:10", "time:20:45", SESSION])
@pytest.mark.parametrize("seed", [0, 1])
def test_streaming_matches_offline_windows(window, seed, max_len):
    lines = hdfs_stream(400, seed)
    spec = WindowSpec.parse(window)
    offline = make_windows(parse_lines(lines, HDFS)[0], spec, max_len=max_len)
    streamed, state = stream(StreamWindower(spec, NEVER_CLOSE, max_len), lines, seed)
    if spec.kind == "session":  # the same windows, flushed in first-event order
        assert [w.order for w in streamed] == sorted(w.order for w in streamed)
        offline, streamed = sorted(offline, key=lambda w: w.id), sorted(streamed, key=lambda w: w.id)
    assert as_tuples(streamed) == as_tuples(offline) and len(offline) > 10
    assert state["lines"] == 400 and StreamWindower(spec, NEVER_CLOSE).open_windows(state) == 0


def test_line_labels_and_timestamps_come_through():
    labels = {3: "KERNDTLB", 11: "APPREAD"}
    lines = [BGL.format(label=labels.get(i, "-"), epoch=1117838570 + i, text=f"e{i}") for i in range(14)]
    spec = WindowSpec.parse("fixed:5")
    streamed, _ = stream(StreamWindower(spec, StreamConfig()), lines, 0, get_format("bgl"))
    assert [(w.id, w.label) for w in streamed] == [("lines-1-5", 1), ("lines-6-10", 0), ("lines-11-14", 1)]
    assert streamed[2].timestamps == [1117838580.0, 1117838581.0, 1117838582.0, 1117838583.0]
    assert as_tuples(streamed) == as_tuples(make_windows(parse_lines(lines, get_format("bgl"))[0], spec))


@pytest.mark.parametrize("window", ["sliding:10:3", "time:30:10", SESSION])
def test_push_is_pure_and_state_survives_json(window):
    records = parse_lines(hdfs_stream(300, 3), HDFS)[0]
    windower = StreamWindower(WindowSpec.parse(window), StreamConfig(200, 50, 10, 6), max_len=5)
    _, state = windower.push({}, records[:150])
    before = copy.deepcopy(state)
    closed, after = windower.push(state, records[150:])
    assert state == before
    again, after_json = windower.push(json.loads(json.dumps(state)), records[150:])
    assert as_tuples(again) == as_tuples(closed) and after_json == after == json.loads(json.dumps(after))
    flushed, _ = windower.flush(after)
    assert flushed and after == after_json  # flush left its input alone too


@pytest.mark.parametrize("window", ["sliding:10:3", "time:30:10", SESSION])
def test_a_push_that_flushes_gives_what_a_push_then_a_flush_gives(window):
    records = parse_lines(hdfs_stream(300, 3), HDFS)[0]
    windower = StreamWindower(WindowSpec.parse(window), StreamConfig(200, 50, 10, 6), max_len=5)
    _, state = windower.push({}, records[:150])
    pushed, after = windower.push(state, records[150:])
    flushed, flushed_state = windower.flush(after)
    both, both_state = windower.push(state, records[150:], flush=True)
    assert as_tuples(both) == as_tuples(pushed + flushed) and both_state == flushed_state
    assert windower.open_windows(both_state) == 0


def test_ids_keep_counting_across_requests_and_flushes():
    windower = StreamWindower(WindowSpec.parse("fixed:3"), StreamConfig())
    records = [LogRecord(1, f"e{i}", float(i)) for i in range(4)]  # request line numbers do not matter
    first, state = windower.push({}, records)
    tail, state = windower.flush(state)
    later, state = windower.push(state, records[:3])
    assert [w.id for w in first + tail + later] == ["lines-1-3", "lines-4-4", "lines-5-7"]
    assert [w.order for w in later] == [5] and windower.open_windows(state) == 0


def test_time_windows_need_timestamps_naming_the_line():
    windower = StreamWindower(WindowSpec.parse("time:10:10"), StreamConfig())
    with pytest.raises(BadInputError, match="line 2 has no timestamp"):
        windower.push({}, [LogRecord(1, "a", 0.0), LogRecord(2, "b")])


def test_sessions_close_when_event_time_moves_past_idle():
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig(session_idle_seconds=300))
    lines = [hdfs_line(0, "open blk_1"), hdfs_line(10, "open blk_2"), hdfs_line(300, "write blk_2")]
    closed, state = windower.push({}, parse_lines(lines, HDFS)[0])
    assert [(w.id, w.messages) for w in closed] == [("blk_1", ["open blk_1"])]  # 300 s past blk_1's last event
    closed, state = windower.push(state, parse_lines([hdfs_line(700, "close blk_2")], HDFS)[0])
    assert [(w.id, w.messages) for w in closed] == [("blk_2", ["open blk_2", "write blk_2"])]  # closed, then reopened
    assert windower.open_windows(state) == 1 and windower.flush(state)[0][0].messages == ["close blk_2"]


def test_sessions_close_when_no_event_arrived_for_the_wall_clock_idle_time():
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig(session_idle_wall_seconds=60))
    opened = parse_lines([hdfs_line(0, "open blk_1"), hdfs_line(1, "open blk_2")], HDFS)[0]
    closed, state = windower.push({}, opened, now=1000.0)
    rows = state["sessions"]
    assert closed == [] and not windower.wall_idle(rows, 1059.0) and windower.wall_idle(rows, 1060.0)
    more = parse_lines([hdfs_line(2, "write blk_2")], HDFS)[0]
    closed, state = windower.push(json.loads(json.dumps(state)), more, now=1030.0)  # blk_2 arrived again
    assert closed == [] and windower.wall_idle(state["sessions"], 1060.0)
    closed, state = windower.push(state, [], now=1060.0)  # event time stands still; the wall clock moved on
    assert [w.id for w in closed] == ["blk_1"] and windower.open_windows(state) == 1
    closed, state = windower.push(state, [], now=1090.0)
    assert [(w.id, w.messages) for w in closed] == [("blk_2", ["open blk_2", "write blk_2"])]
    without = StreamWindower(WindowSpec.parse(SESSION), StreamConfig())
    closed, state = without.push({}, opened, now=0.0)
    assert closed == [] and not without.wall_idle(state["sessions"], 10**9)
    # without wall-clock idleness no arrival time is stored (a stored one is an index entry rewritten per event)
    assert [row["wall"] for row in state["sessions"].values()] == [None, None]


def test_states_written_before_the_wall_clock_was_kept_still_load():
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig(session_idle_wall_seconds=60))
    _, state = windower.push({}, parse_lines([hdfs_line(0, "open blk_1")], HDFS)[0])
    del state["sessions"]["blk_1"]["wall"]
    closed, state = windower.push(state, [], now=10**9)
    assert closed == [] and state["sessions"]["blk_1"]["wall"] is None  # never seen arriving: event time decides


def test_sessions_without_timestamps_close_after_idle_lines():
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig(session_idle_lines=3))
    records = [LogRecord(1, "open blk_1"), LogRecord(2, "other"), LogRecord(3, "open blk_2")]
    closed, state = windower.push({}, records)
    assert closed == [] and windower.open_windows(state) == 2
    closed, state = windower.push(state, [LogRecord(1, "other")])  # the tenant's line 4: 3 lines after blk_1's
    assert [(w.id, w.order) for w in closed] == [("blk_1", 1)] and windower.open_windows(state) == 1


def test_idle_closing_does_not_depend_on_request_split():
    lines = hdfs_stream(400, 5)
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig(session_idle_seconds=120))
    whole, state = windower.push({}, parse_lines(lines, HDFS)[0])
    whole += windower.flush(state)[0]
    split, _ = stream(windower, lines, 5)
    assert sorted(as_tuples(split)) == sorted(as_tuples(whole)) and len(whole) > 30


def test_least_recently_touched_session_is_evicted_first():
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig(max_open_windows=2))
    closed, state = windower.push({}, [LogRecord(1, "blk_1"), LogRecord(2, "blk_2"), LogRecord(3, "blk_1 again")])
    state["sessions"] = dict(reversed(state["sessions"].items()))  # a store may not keep key order
    closed, state = windower.push(state, [LogRecord(1, "blk_3")])
    assert [(w.id, w.messages) for w in closed] == [("blk_2", ["blk_2"])]
    assert sorted(state["sessions"]) == ["blk_1", "blk_3"]


def test_full_session_window_closes_and_the_session_goes_on():
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig(max_window_events=2), max_len=1)
    closed, state = windower.push({}, [LogRecord(1, f"blk_1 step {i}") for i in range(5)])
    tail, _ = windower.flush(state)
    assert [(w.id, w.messages, w.order) for w in closed + tail] == [
        ("blk_1", ["blk_1 step 1"], 1),
        ("blk_1#2", ["blk_1 step 3"], 3),
        ("blk_1#3", ["blk_1 step 4"], 5),
    ]


def test_config_values_must_be_positive():
    with pytest.raises(ValueError, match="max_open_windows"):
        StreamConfig(max_open_windows=0)
    with pytest.raises(ValueError, match="session_idle_seconds"):
        StreamConfig(session_idle_seconds=0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, "version 2"),
        ({"window": "fixed:5"}, "holds windows 'fixed:5'"),
        ({"lines": -1}, "'lines' must be"),
        ({"events": "x"}, "'events' must be a list"),
        ({"sessions": {"blk_1": {"order": 1}}}, "session 'blk_1' must be an object with keys"),
        ({"sessions": {"blk_1": {"order": 1, "part": 0, "seen": 1, "last": None, "events": []}}}, "'part'"),
        ({"sessions": {"b": {"order": 1, "part": 1, "seen": 1, "last": None, "events": [["m", None, 2]]}}}, "label"),
        ({"clock": "noon"}, "'clock' must be a finite number"),
        ({"extra": 1}, "must be an object with keys"),
    ],
)
def test_bad_states_are_bad_input(change, message):
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig())
    _, state = windower.push({}, [LogRecord(1, "blk_1")])
    with pytest.raises(BadInputError, match=message):
        windower.push({**state, **change}, [])


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (["m", 1.0], r"\[1\] must be \[content, timestamp, label\]"),
        ([1, 1.0, None], r"\[1\] must be \[content, timestamp, label\]"),
        ("abc", r"\[1\] must be \[content, timestamp, label\]"),
        (["m", "1.0", None], r"\[1\] timestamp must be a finite number"),
        (["m", True, None], r"\[1\] timestamp must be a finite number"),
        (["m", float("inf"), None], r"\[1\] timestamp must be a finite number"),
        (["m", float("nan"), None], r"\[1\] timestamp must be a finite number"),
        (["m", 1.0, True], r"\[1\] label must be 0, 1 or null"),
        (["m", 1.0, 1.0], r"\[1\] label must be 0, 1 or null"),
        (["m", 1.0, 2], r"\[1\] label must be 0, 1 or null"),
    ],
)
def test_a_malformed_event_among_good_ones_is_named(event: Any, message: str) -> None:
    """Events are checked all at once when well formed; one bad event is still found and named by its index."""
    windower = StreamWindower(WindowSpec.parse(SESSION), StreamConfig())
    _, state = windower.push({}, [LogRecord(1, "blk_1")])
    good = {"order": 1, "part": 1, "seen": 3, "last": None, "events": [["m", 1, 0], ["n", 2, None], ["o", 2.5, 1]]}
    windows, _ = windower.push({**state, "open": 1, "sessions": {"blk_1": good}}, [], flush=True)
    assert (windows[0].messages, windows[0].timestamps) == (["m", "n", "o"], [1.0, 2.0, 2.5])
    bad = {**good, "events": [good["events"][0], event, good["events"][2]]}
    with pytest.raises(BadInputError, match=f"session 'blk_1' 'events'{message}"):
        windower.push({**state, "open": 1, "sessions": {"blk_1": bad}}, [], flush=True)


def test_a_state_that_is_not_an_object_is_bad_input():
    with pytest.raises(BadInputError, match="must be a JSON object"):
        StreamWindower(WindowSpec.parse("fixed:2"), StreamConfig()).flush([])  # type: ignore[arg-type]


def test_config_loads_strictly():
    assert config_from_dict(StreamConfig, {"session_idle_seconds": 60}).session_idle_seconds == 60.0
    with pytest.raises(ConfigError, match="max_window_events"):
        config_from_dict(StreamConfig, {"max_window_events": 0})
