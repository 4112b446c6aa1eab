"""A tenant's open windows as the state stores keep them: one row per window, beside the tenant's document, and the
window's events apart from it, stored append-only in chunks.

A row is a JSON object with at least ``seen`` (an integer: the line number of the window's latest event), ``last``
(its timestamp, or null), ``wall`` (the wall-clock time it arrived, or null), ``events`` (a list) and optionally
``kept`` (an integer, 0 when absent): how many of the window's earlier events are stored but not in ``events``. The
stores index ``seen``, ``last`` and ``wall``, so a request reads only the windows it names and those that may have
gone idle or are least recently seen, never all of them (``WindowQuery``), and writes only the rows it changed
(``WindowWrite``), in the same atomic step as the document.

Stored, a row is its metadata (the row without ``events`` and ``kept``, with ``count``: the events stored) and its
events' chunks. Writing a row with ``kept`` > 0 appends its ``events`` as a new chunk after the ``kept`` stored ones
(which must be all of them); with ``kept`` 0 its ``events`` replace the stored ones. Read, a row selected only by
its id holds no events (``kept`` is its count) unless the query asks for them; any other row holds them all (``kept``
0). Rows written before events were stored apart hold them inside the row and are always read in full.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from logad.errors import BadInputError
from logad.state.decision_log import encode_object

EVENTS, KEPT, COUNT = "events", "kept", "count"
_KINDS = {dict: "object", list: "array"}


@dataclass(frozen=True)
class WindowQuery:
    """Which open windows a request reads: the union of these sets.

    ``last_up_to`` selects rows with a timestamp at or before it, ``seen_up_to`` rows *without* a timestamp whose
    ``seen`` is at or before it, ``wall_up_to`` rows that arrived at or before it, ``oldest`` the rows with the
    smallest ``seen``; ``every`` all rows. Rows selected only by ``ids`` come without their events, except those
    that hold at least ``full_at_count`` events (0: all of them; None: none).
    """

    ids: tuple[str, ...] = ()
    last_up_to: float | None = None
    seen_up_to: int | None = None
    wall_up_to: float | None = None
    oldest: int = 0
    every: bool = False
    full_at_count: int | None = None


@dataclass(frozen=True)
class WindowWrite:
    """The open-window rows one put writes (id -> row, whose ``events`` follow its ``kept`` stored ones, or replace
    them when it has none) and deletes."""

    put: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    delete: tuple[str, ...] = ()


@dataclass(frozen=True)
class EncodedRow:
    """A row as stored: its indexed fields, its metadata's JSON text, how many stored events it follows (0: it
    replaces them) and the JSON text of its new events (None when it has none)."""

    window: str
    seen: int
    last: float | None
    wall: float | None
    text: str
    kept: int
    events: str | None


@dataclass(frozen=True)
class StoredRow:
    """A row as read: its metadata's JSON text and the JSON texts of its event chunks, in order (None: not read)."""

    text: str
    chunks: list[str] | None


def encode_rows(tenant: str, rows: Mapping[str, dict[str, Any]]) -> list[EncodedRow]:
    """Each row checked and encoded; BadInputError naming the window whose row is malformed."""
    return [_encode_row(f"open window {window!r} of tenant {tenant!r}", window, row) for window, row in rows.items()]


def _encode_row(where: str, window: str, row: dict[str, Any]) -> EncodedRow:
    if not isinstance(window, str) or not window:
        raise BadInputError(f"{where}: a window id must be a non-empty string")
    if not isinstance(row, dict):
        raise BadInputError(f"{where} must be a JSON object, got {type(row).__name__}")
    seen, last, wall = row.get("seen"), row.get("last"), row.get("wall")
    if type(seen) is not int or seen < 0:
        raise BadInputError(f"{where}: 'seen' must be an integer >= 0, not {seen!r}")
    for name, value in (("last", last), ("wall", wall)):
        if value is not None and type(value) not in (int, float):  # finite: checked by the encoding
            raise BadInputError(f"{where}: {name!r} must be a number or null, not {value!r}")
    events, kept = row.get(EVENTS), row.get(KEPT, 0)
    if not isinstance(events, list):
        raise BadInputError(f"{where}: 'events' must be a list, not {reprlib.repr(events)}")
    if type(kept) is not int or kept < 0:
        raise BadInputError(f"{where}: 'kept' must be an integer >= 0, not {kept!r}")
    if COUNT in row:
        raise BadInputError(f"{where}: 'count' is the stores' own field")
    meta = {key: value for key, value in row.items() if key not in (EVENTS, KEPT)}
    text = encode_object({**meta, COUNT: kept + len(events)}, where)
    chunk = _encode_events(events, where) if events else None
    return EncodedRow(window, seen, _float(last), _float(wall), text, kept, chunk)


def _encode_events(events: list[Any], where: str) -> str:
    try:
        return json.dumps(events, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise BadInputError(f"{where} is not JSON-serialisable: {exc}") from None


def check_query(query: WindowQuery) -> WindowQuery:
    """``query`` when its bounds are usable; BadInputError otherwise."""
    bounds = {"oldest": query.oldest, "full_at_count": 0 if query.full_at_count is None else query.full_at_count}
    for name, value in bounds.items():
        if type(value) is not int or value < 0:
            raise BadInputError(f"a window query's {name!r} must be an integer >= 0, got {value!r}")
    if not all(isinstance(window, str) for window in query.ids):
        raise BadInputError("a window query's ids must be strings")
    return query


def append_mismatch(tenant: str, window: str, kept: int, stored: int | None) -> BadInputError:
    """The error of a put appending to ``window`` after ``kept`` events when ``stored`` are (None: no count is)."""
    found = "no count is stored" if stored is None else f"{stored} are stored"
    return BadInputError(f"open window {window!r} of tenant {tenant!r}: a put appends after {kept} events, but {found}")


def decode_rows(tenant: str, found: Mapping[str, StoredRow]) -> dict[str, dict[str, Any]]:
    """Stored rows as objects (with their events when read, else ``kept``: how many are stored), least recently
    seen first (ties by id); BadInputError naming a window whose stored row is malformed."""
    rows = {
        window: _decode_row(f"stored open window {window!r} of tenant {tenant!r}", stored)
        for window, stored in found.items()
    }
    return dict(sorted(rows.items(), key=lambda item: (item[1]["seen"], item[0])))


def _decode_row(where: str, stored: StoredRow) -> dict[str, Any]:
    row = _json(stored.text, dict, where)
    if COUNT not in row:  # written before events were stored apart: they are in the row
        return {KEPT: 0, **row}
    count = row.pop(COUNT)
    if type(count) is not int or count < 0 or type(row.get("seen")) is not int:
        raise BadInputError(f"{where} is malformed: 'count' and 'seen' must be integers >= 0")
    if stored.chunks is None:
        return {**row, EVENTS: [], KEPT: count}
    events = [event for chunk in stored.chunks for event in _json(chunk, list, where)]
    if len(events) != count:
        raise BadInputError(f"{where} is malformed: it counts {count} events, its chunks hold {len(events)}")
    return {**row, EVENTS: events, KEPT: 0}


def _json(text: str, kind: type, where: str) -> Any:
    try:
        value = orjson.loads(text)  # several times json's speed: a flush reads every event of a tenant's sessions
    except orjson.JSONDecodeError:
        raise BadInputError(f"{where} is malformed: not JSON ({reprlib.repr(text)})") from None
    if not isinstance(value, kind):
        raise BadInputError(f"{where} is malformed: {reprlib.repr(value)} is not a JSON {_KINDS[kind]}")
    return value


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
