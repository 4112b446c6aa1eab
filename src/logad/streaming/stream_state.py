"""A tenant's open stream windows as a plain JSON document, checked when loaded.

Line numbers count the tenant's records from 1 across requests. Every key is always present::

    {"version": 1,
     "window": "fixed:20",                  # the window spec the state belongs to
     "lines": 120,                          # records seen so far (the last one's line number)
     "clock": 1226263015.0,                 # their latest timestamp (null without timestamps)
     "events": [[content, timestamp, label], ...],  # count/time windows: the open run of lines ending at "lines"
     "covered": 120, "skip": 0,             # count windows: last line in an emitted window; lines still to skip
     "start": 1226263000.0,                 # time windows: start of the open window (null before the first line)
     "open": 2800,                          # session windows: how many are open
     "sessions": {"blk_1": {"order": 3, "part": 1, "seen": 9, "last": 1226263015.0, "wall": 1765080000.0,
                            "kept": 0, "events": [...]}}}

``sessions`` may hold only some of the open sessions (a served tenant's are stored as rows of their own and a request
loads those it needs, see ``StreamWindower.query``): ``open`` counts them all. States written before ``open`` was
kept hold every open session.

A session's ``order`` is the line number of its window's first event, ``part`` numbers its windows (1, then
``#2``...), ``seen`` and ``last`` are the line number and timestamp of its latest event, ``wall`` the wall-clock time
(Unix seconds) when that event arrived (absent in states written before it was kept: null). ``kept`` counts the
session's earlier events that are stored but not loaded (a served tenant's request loads a session it only adds to
without them): ``events`` holds the rest, the events added since. A session closes only when it is loaded in full
(``kept`` 0, absent in states written before it was kept).
"""

from __future__ import annotations

import math
import reprlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from logad.errors import BadInputError

VERSION = 1
_KEYS = {"version", "window", "lines", "clock", "events", "covered", "skip", "start", "open", "sessions"}
_SESSION_KEYS = {"order", "part", "seen", "last", "wall", "kept", "events"}

Event = tuple[str, float | None, int | None]  # content, timestamp, label
_STAMP_TYPES = frozenset({int, float, type(None)})
_LABELS = frozenset({(int, 0), (int, 1), (type(None), None)})  # (type, value): True and False are not labels


@dataclass
class OpenSession:
    """The open window of one session: ``events`` follow the ``kept`` earlier ones, stored but not loaded."""

    order: int
    seen: int
    last: float | None
    part: int = 1
    events: list[Event] = field(default_factory=list)
    wall: float | None = None
    kept: int = 0

    @property
    def size(self) -> int:
        """How many events the session holds, loaded or not."""
        return self.kept + len(self.events)

    def dump(self) -> dict[str, Any]:
        """The JSON object of this session (its row in a state store)."""
        return {
            "order": self.order,
            "part": self.part,
            "seen": self.seen,
            "last": self.last,
            "wall": self.wall,
            "kept": self.kept,
            "events": [list(event) for event in self.events],
        }


@dataclass
class StreamState:
    """The working copy of a state document (see the module docstring for the fields)."""

    window: str
    lines: int = 0
    clock: float | None = None
    events: deque[Event] = field(default_factory=deque)
    covered: int = 0
    skip: int = 0
    start: float | None = None
    sessions: dict[str, OpenSession] = field(default_factory=dict)
    unloaded: int = 0  # open sessions not in ``sessions`` (stored "open" minus those loaded)
    now: float | None = None  # the wall clock of the push at work (not stored)

    @property
    def open(self) -> int:
        """How many sessions are open, loaded or not."""
        return self.unloaded + len(self.sessions)

    @classmethod
    def load(cls, data: dict[str, Any], window: str) -> StreamState:
        """A new state from ``data`` (a fresh one when empty), sessions least recently touched first (by ``seen``,
        then id: the order in which the windower touches the sessions one line names).

        BadInputError when ``data`` is not a version-1 state of ``window`` or is malformed.
        """
        if not isinstance(data, dict):
            raise _malformed("the state", "a JSON object", data)
        if not data:
            return cls(window)
        if data.get("version") != VERSION:
            raise BadInputError(f"stream state has version {data.get('version')!r}; this logad reads version {VERSION}")
        if data.get("window") != window:
            raise BadInputError(f"stream state holds windows {data.get('window')!r}, not {window!r}")
        sessions = data.get("sessions")
        if not isinstance(sessions, dict):
            raise _malformed("'sessions'", "a JSON object", sessions)
        data = {"open": len(sessions), **data}
        _check_keys(data, _KEYS, "the state")
        loaded = {session_id: _session(entry, f"session {session_id!r}") for session_id, entry in sessions.items()}
        unloaded = _count(data["open"], "'open'") - len(loaded)
        if unloaded < 0:
            raise _malformed("'open'", f"at least the {len(loaded)} sessions it holds", data["open"])
        return cls(
            window,
            lines=_count(data["lines"], "'lines'"),
            clock=_time(data["clock"], "'clock'"),
            events=deque(_events(data["events"], "'events'")),
            covered=_count(data["covered"], "'covered'"),
            skip=_count(data["skip"], "'skip'"),
            start=_time(data["start"], "'start'"),
            sessions=dict(sorted(loaded.items(), key=lambda item: (item[1].seen, item[0]))),
            unloaded=unloaded,
        )

    def dump(self) -> dict[str, Any]:
        """The JSON document of this state (lists, dicts, strings, numbers and None only)."""
        return {
            "version": VERSION,
            "window": self.window,
            "lines": self.lines,
            "clock": self.clock,
            "events": [list(event) for event in self.events],
            "covered": self.covered,
            "skip": self.skip,
            "start": self.start,
            "open": self.open,
            "sessions": {session_id: session.dump() for session_id, session in self.sessions.items()},
        }


def _session(entry: Any, where: str) -> OpenSession:
    if not isinstance(entry, dict):
        raise _malformed(where, "a JSON object", entry)
    entry = {"wall": None, "kept": 0, **entry}
    _check_keys(entry, _SESSION_KEYS, where)
    return OpenSession(
        order=_count(entry["order"], f"{where} 'order'"),
        seen=_count(entry["seen"], f"{where} 'seen'"),
        last=_time(entry["last"], f"{where} 'last'"),
        part=_count(entry["part"], f"{where} 'part'", low=1),
        events=_events(entry["events"], f"{where} 'events'"),
        wall=_time(entry["wall"], f"{where} 'wall'"),
        kept=_count(entry["kept"], f"{where} 'kept'"),
    )


def _events(value: Any, where: str) -> list[Event]:
    """The events of ``value``, checked all at once when they are well formed (a flush loads every event of a
    tenant's sessions), one by one to name the first malformed one otherwise."""
    if not isinstance(value, list):
        raise _malformed(where, "a list", value)
    if _well_formed(value):
        return [(content, None if stamp is None else float(stamp), label) for content, stamp, label in value]
    events: list[Event] = []
    for index, item in enumerate(value):
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
            raise _malformed(f"{where}[{index}]", "[content, timestamp, label]", item)
        label = item[2]
        if label is not None and (type(label) is not int or label not in (0, 1)):
            raise _malformed(f"{where}[{index}] label", "0, 1 or null", label)
        events.append((item[0], _time(item[1], f"{where}[{index}] timestamp"), label))
    return events


def _well_formed(events: list[Any]) -> bool:
    """Whether every item is ``[content, timestamp, label]`` with a string content, a finite number or null as
    timestamp and 0, 1 or null as label (what the check of each event in ``_events`` accepts)."""
    if not all(type(item) is list and len(item) == 3 for item in events):
        return False
    contents, stamps, labels = zip(*events, strict=True) if events else ((), (), ())
    try:
        finite = all(map(math.isfinite, [stamp for stamp in stamps if stamp is not None]))
    except (TypeError, OverflowError):
        return False
    return (
        all(type(content) is str for content in contents)
        and {type(stamp) for stamp in stamps} <= _STAMP_TYPES
        and {(type(label), label) for label in labels} <= _LABELS
        and finite
    )


def _count(value: Any, where: str, low: int = 0) -> int:
    if type(value) is not int or value < low:
        raise _malformed(where, f"an integer of at least {low}", value)
    return value


def _time(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if type(value) not in (int, float) or not math.isfinite(value):
        raise _malformed(where, "a finite number or null", value)
    return float(value)


def _check_keys(data: dict[str, Any], keys: set[str], where: str) -> None:
    if set(data) != keys:
        raise _malformed(where, f"an object with keys {', '.join(sorted(keys))}", sorted(data))


def _malformed(where: str, expected: str, value: Any) -> BadInputError:
    return BadInputError(f"stream state is malformed: {where} must be {expected}, not {reprlib.repr(value)}")
