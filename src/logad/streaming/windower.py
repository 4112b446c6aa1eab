"""Windows over a tenant's records pushed request by request, as pure functions of a JSON state.

Count and time windows are those of ``logad.data.windows`` over the tenant's whole stream: ``push`` returns each
as soon as it is complete and ``flush`` the open one. Session windows close early, which offline windows never
do (see ``StreamWindower``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from logad.config import require_positive, require_range
from logad.data.types import LogRecord, LogSequence
from logad.data.windows import WindowSpec, build_window, span_id, truncate_window
from logad.errors import BadInputError
from logad.state.open_windows import WindowQuery
from logad.streaming.stream_state import Event, OpenSession, StreamState

# Stored sessions are selected by time bounds with this much to spare, so rounding never leaves out one that the
# exact idleness check closes (those selected but not idle stay open, unchanged).
_SLACK_SECONDS = 1.0
Step = Callable[[StreamState, LogRecord, list[LogSequence]], None]


@dataclass
class StreamConfig:
    """When session windows close before the stream ends, and the memory bounds of a tenant's state.

    Sessions are long-lived in real logs: in HDFS_2pct the longest silence inside a block is 1.9 h at the median
    and 8 h at the 90th percentile, so the default idle time is a day; a shorter one cuts sessions into pieces
    that look like nothing seen in training. Clients that know a stream ended send ``flush``.
    ``session_idle_wall_seconds`` also closes a session when no event of it has *arrived* for that long (wall
    clock), so a tenant whose stream goes quiet still gets its decisions (None: only event time counts, and arrival
    times are not stored; a session stored while it was None counts as quiet only once another event of it arrives).
    """

    session_idle_seconds: float = 86_400.0
    session_idle_wall_seconds: float | None = None
    session_idle_lines: int = 100_000
    max_open_windows: int = 10_000
    max_window_events: int = 10_000

    def __post_init__(self) -> None:
        require_range("session_idle_seconds", self.session_idle_seconds, 0.0, math.inf, low_open=True)
        if self.session_idle_wall_seconds is not None:
            require_range("session_idle_wall_seconds", self.session_idle_wall_seconds, 0.0, math.inf, low_open=True)
        require_positive(self, ("session_idle_lines", "max_open_windows", "max_window_events"))


class StreamWindower:
    """Windows of ``spec`` over one tenant's stream; ``push`` and ``flush`` return new states, never edit theirs.

    Line numbers (window ids ``lines-A-B``, ``order``) count the tenant's records across requests. A session
    window closes when the tenant's event time (its latest timestamp) is ``session_idle_seconds`` past the
    session's last event, or, when that event has no timestamp, ``session_idle_lines`` records later; when it
    reaches ``max_window_events`` events (the session goes on as ``ID#2``...); or, when a new session would make
    more than ``max_open_windows``, the least recently touched closes first. A session that a record touches is
    checked for idleness first; the others at the end of each request. With ``session_idle_wall_seconds``, a
    session whose last event arrived that long before ``now`` (the wall clock a push is given) is idle too.

    A state may hold only some of its open sessions (``query`` says which a push needs), and a session only its
    events added since it was stored (``kept`` counts the others), so a served tenant's request costs what it adds,
    not what the tenant holds open. A session closes only when loaded in full: ``query`` sees to it.
    """

    def __init__(self, spec: WindowSpec, config: StreamConfig, max_len: int | None = None) -> None:
        self.spec, self.config, self.max_len = spec, config, max_len
        self._pattern = re.compile(spec.pattern)
        steps: dict[str, Step] = {"session": self._session_step, "time": self._time_step}
        self._step = steps.get(spec.kind, self._count_step)

    def push(
        self, state: dict[str, Any], records: Sequence[LogRecord], now: float | None = None, flush: bool = False
    ) -> tuple[list[LogSequence], dict[str, Any]]:
        """The windows that ``records`` complete and the new state (``{}`` is the state of a new tenant); ``now``
        is the wall-clock time the records arrived (None: wall-clock idleness is not checked). With ``flush``, every
        window still open after the push closes too (sessions by first event): the stream ended."""
        current = self._load(state)
        if flush and current.unloaded:
            raise ValueError(f"flush needs every open session; {current.unloaded} are not loaded")
        # arrival times are kept only where they can close a session: each one stored is an index entry rewritten
        current.now = now if self.config.session_idle_wall_seconds is not None else None
        windows: list[LogSequence] = []
        for record in records:
            current.lines += 1
            if record.timestamp is not None:
                current.clock = record.timestamp if current.clock is None else max(current.clock, record.timestamp)
            self._step(current, record, windows)
        for session_id, session in list(current.sessions.items()):
            if self._idle(current, session):
                self._close(windows, session_id, current.sessions.pop(session_id))
        if flush:
            self._close_all(current, windows)
        return windows, current.dump()

    def query(
        self,
        state: dict[str, Any],
        records: Sequence[LogRecord],
        now: float | None = None,
        flush: bool = False,
        full_named: bool = False,
    ) -> WindowQuery:
        """The stored sessions that ``push`` (then ``flush`` when asked) of ``records`` onto ``state`` may read: those
        the records name, those that may be idle once they are in, and the least recently touched ones the records
        may evict. Loaded into ``state["sessions"]``, they give the windows and state a fully loaded state gives.

        The named ones come without their stored events unless ``full_named`` (to read them, as ``so_far`` does)
        or the push may close them: when the events it adds may reach ``max_window_events``, or when a record may
        leave a session idle within the push (an event-time straggler, or more than ``session_idle_lines`` records).
        """
        if self.spec.kind != "session":
            return WindowQuery()
        if flush:
            return WindowQuery(every=True)
        current = StreamState.load(state, str(self.spec))
        named = [session_id for record in records for session_id in set(self._pattern.findall(record.content))]
        stamps = [record.timestamp for record in records if record.timestamp is not None]
        clock = max([*stamps, *([] if current.clock is None else [current.clock])], default=None)
        config = self.config
        wall = config.session_idle_wall_seconds
        adds = max(Counter(named).values(), default=0)
        full = full_named or self._may_idle_in_push(current.lines, records, clock)
        return WindowQuery(
            ids=tuple(dict.fromkeys(named)),
            last_up_to=None if clock is None else clock - config.session_idle_seconds + _SLACK_SECONDS,
            seen_up_to=current.lines + len(records) - config.session_idle_lines,
            wall_up_to=None if wall is None or now is None else now - wall + _SLACK_SECONDS,
            oldest=max(0, current.open + len(named) - config.max_open_windows + 1),
            full_at_count=0 if full else max(0, config.max_window_events - adds),
        )

    def _may_idle_in_push(self, lines: int, records: Sequence[LogRecord], clock: float | None) -> bool:
        """Whether a session that one of ``records`` (pushed after line ``lines``) touches may be idle by the end of
        the push (``_idle`` once the clock is ``clock``): the idle bounds of ``query`` see only stored sessions."""
        end = lines + len(records)
        for line, record in enumerate(records, lines + 1):
            if not self._pattern.search(record.content):
                continue
            if record.timestamp is not None and clock is not None:
                if clock - record.timestamp >= self.config.session_idle_seconds:
                    return True
            elif end - line >= self.config.session_idle_lines:
                return True
        return False

    def wall_query(self, now: float) -> WindowQuery | None:
        """The stored sessions that may have had no event arrive for ``session_idle_wall_seconds`` at ``now``; None
        when wall-clock idleness is off."""
        limit = self.config.session_idle_wall_seconds
        if limit is None or self.spec.kind != "session":
            return None
        return WindowQuery(wall_up_to=now - limit + _SLACK_SECONDS)

    def wall_idle(self, sessions: dict[str, dict[str, Any]], now: float) -> bool:
        """Whether one of ``sessions`` (stored rows) has had no event arrive for ``session_idle_wall_seconds``."""
        limit = self.config.session_idle_wall_seconds
        return limit is not None and any(
            entry.get("wall") is not None and now - entry["wall"] >= limit for entry in sessions.values()
        )

    def flush(self, state: dict[str, Any]) -> tuple[list[LogSequence], dict[str, Any]]:
        """Every open window (sessions by first event), for a stream that ended; line numbers go on after it.
        ``state`` must hold every open session (see ``query``)."""
        return self.push(state, [], flush=True)

    def _close_all(self, current: StreamState, windows: list[LogSequence]) -> None:
        """Append every window open in ``current`` to ``windows`` (sessions by first event) and clear them."""
        for session_id, session in sorted(current.sessions.items(), key=lambda item: item[1].order):
            self._close(windows, session_id, session)
        if current.events and (self.spec.kind == "time" or current.lines > current.covered):
            windows.append(self._run(current.events, current.lines))
        current.events.clear()
        current.sessions, current.covered, current.skip, current.start = {}, current.lines, 0, None

    def so_far(self, sessions: dict[str, dict[str, Any]], after_line: int, min_events: int) -> list[LogSequence]:
        """The windows of ``sessions`` (stored rows) that got an event after line ``after_line`` and hold at least
        ``min_events`` events, as far as they go (``open`` windows): what provisional scores are computed on."""
        partial = [session_id for session_id, row in sessions.items() if row.get("kept")]
        if partial:
            raise ValueError(f"so_far needs the sessions' events; {partial[:5]} are not loaded in full")
        return [
            replace(
                self._window(_window_id(session_id, row["part"]), row["order"], [tuple(e) for e in row["events"]]),
                open=True,
            )
            for session_id, row in sessions.items()
            if row["seen"] > after_line and len(row["events"]) >= min_events
        ]

    def open_windows(self, state: dict[str, Any]) -> int:
        """How many windows ``state`` holds open (sessions, loaded or not, or the one run of count/time windows)."""
        current = self._load(state)
        return current.open if self.spec.kind == "session" else int(bool(current.events))

    def _load(self, state: dict[str, Any]) -> StreamState:
        current = StreamState.load(state, str(self.spec))
        if self.spec.kind == "time" and any(timestamp is None for _, timestamp, _ in current.events):
            raise BadInputError("stream state is malformed: time windows hold an event without a timestamp")
        return current

    def _count_step(self, state: StreamState, record: LogRecord, windows: list[LogSequence]) -> None:
        """``_count_windows`` of ``logad.data.windows``, one record at a time."""
        size, step = int(self.spec.size), int(self.spec.step)
        if state.skip:
            state.skip -= 1
            state.covered = state.lines
            return
        state.events.append(_event(record))
        if len(state.events) == size:
            windows.append(self._run(state.events, state.lines))
            state.covered = state.lines
            for _ in range(min(step, size)):
                state.events.popleft()
            state.skip = max(step - size, 0)

    def _time_step(self, state: StreamState, record: LogRecord, windows: list[LogSequence]) -> None:
        """``_time_windows`` of ``logad.data.windows``, one record at a time."""
        timestamp = record.timestamp
        if timestamp is None:
            raise BadInputError(f"line {record.line_no} has no timestamp: time windows need a timed format")
        width, step = self.spec.size, self.spec.step
        start = timestamp if state.start is None else state.start
        while timestamp >= start + width:
            if state.events:
                windows.append(self._run(state.events, state.lines - 1))
            start += step
            while state.events and cast(float, state.events[0][1]) < start:  # timed: checked on push and load
                state.events.popleft()
            if not state.events and timestamp >= start + width:
                start += step * ((timestamp - start - width) // step + 1)
        state.start = start
        state.events.append(_event(record))

    def _session_step(self, state: StreamState, record: LogRecord, windows: list[LogSequence]) -> None:
        """Add ``record`` to every session named in it, touching each (it becomes the most recent)."""
        for session_id in sorted(set(self._pattern.findall(record.content))):  # so touch order is (seen, id)
            session = state.sessions.pop(session_id, None)
            if session is not None and self._idle(state, session):
                self._close(windows, session_id, session)
                session = None
            if session is None:
                while state.open >= self.config.max_open_windows:
                    oldest = next(iter(state.sessions))
                    self._close(windows, oldest, state.sessions.pop(oldest))
                session = OpenSession(order=state.lines, seen=state.lines, last=None)
            if not session.size:
                session.order = state.lines
            session.events.append(_event(record))
            session.seen, session.last, session.wall = state.lines, record.timestamp, state.now
            state.sessions[session_id] = session
            if session.size >= self.config.max_window_events:
                self._close(windows, session_id, session)
                session.events, session.part = [], session.part + 1

    def _idle(self, state: StreamState, session: OpenSession) -> bool:
        limit, arrived = self.config.session_idle_wall_seconds, session.wall
        if limit is not None and arrived is not None and state.now is not None and state.now - arrived >= limit:
            return True
        if session.last is not None and state.clock is not None:
            return state.clock - session.last >= self.config.session_idle_seconds
        return state.lines - session.seen >= self.config.session_idle_lines

    def _close(self, windows: list[LogSequence], session_id: str, session: OpenSession) -> None:
        """Append the window of ``session`` to ``windows`` unless it is empty; ValueError when its events are not all
        loaded (the query that loaded it did not foresee it closing)."""
        if session.kept:
            raise ValueError(f"session {session_id!r} closes with {session.kept} of its events not loaded")
        if session.events:
            windows.append(self._window(_window_id(session_id, session.part), session.order, session.events))

    def _run(self, events: Iterable[Event], last: int) -> LogSequence:
        """The ``lines-A-B`` window of a run of consecutive events ending at line ``last``."""
        events = list(events)
        return self._window(None, last - len(events) + 1, events)

    def _window(self, window_id: str | None, first: int, events: Iterable[Event]) -> LogSequence:
        # build_window reads only the first member's line number: the others matter for ``lines-A-B`` ids only.
        members = [LogRecord(first + i, content, stamp, label) for i, (content, stamp, label) in enumerate(events)]
        return truncate_window(build_window(window_id or span_id(members), members, None), self.max_len)


def _window_id(session_id: str, part: int) -> str:
    return session_id if part == 1 else f"{session_id}#{part}"


def _event(record: LogRecord) -> Event:
    return record.content, record.timestamp, record.label
