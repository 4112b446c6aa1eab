"""A tenant's open windows as the state stores keep them: one row per window, beside the tenant's document.

A row is a JSON object with at least ``seen`` (an integer: the line number of the window's latest event), ``last``
(its timestamp, or null) and ``wall`` (the wall-clock time it arrived, or null). The stores index these three, so a
request reads only the windows it names and those that may have gone idle or are least recently seen, never all of
them (``WindowQuery``), and writes only the rows it changed (``WindowWrite``), in the same atomic step as the
document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from logad.errors import BadInputError
from logad.state.decision_log import encode_object


@dataclass(frozen=True)
class WindowQuery:
    """Which open windows a request reads: the union of these sets.

    ``last_up_to`` selects rows with a timestamp at or before it, ``seen_up_to`` rows *without* a timestamp whose
    ``seen`` is at or before it, ``wall_up_to`` rows that arrived at or before it, ``oldest`` the rows with the
    smallest ``seen``; ``every`` all rows.
    """

    ids: tuple[str, ...] = ()
    last_up_to: float | None = None
    seen_up_to: int | None = None
    wall_up_to: float | None = None
    oldest: int = 0
    every: bool = False


@dataclass(frozen=True)
class WindowWrite:
    """The open-window rows one put writes (id -> row) and deletes."""

    put: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    delete: tuple[str, ...] = ()


@dataclass(frozen=True)
class EncodedRow:
    """A row as stored: its indexed fields and its JSON text."""

    window: str
    seen: int
    last: float | None
    wall: float | None
    text: str


def encode_rows(tenant: str, rows: Mapping[str, dict[str, Any]]) -> list[EncodedRow]:
    """Each row checked and encoded; BadInputError naming the window whose row is malformed."""
    encoded = []
    for window, row in rows.items():
        where = f"open window {window!r} of tenant {tenant!r}"
        if not isinstance(window, str) or not window:
            raise BadInputError(f"{where}: a window id must be a non-empty string")
        text = encode_object(row, where)
        seen, last, wall = row.get("seen"), row.get("last"), row.get("wall")
        if type(seen) is not int or seen < 0:
            raise BadInputError(f"{where}: 'seen' must be an integer >= 0, not {seen!r}")
        for name, value in (("last", last), ("wall", wall)):
            if value is not None and type(value) not in (int, float):  # finite: checked by the encoding
                raise BadInputError(f"{where}: {name!r} must be a number or null, not {value!r}")
        encoded.append(EncodedRow(window, seen, _float(last), _float(wall), text))
    return encoded


def check_query(query: WindowQuery) -> WindowQuery:
    """``query`` when its bounds are usable; BadInputError otherwise."""
    if isinstance(query.oldest, bool) or not isinstance(query.oldest, int) or query.oldest < 0:
        raise BadInputError(f"a window query's 'oldest' must be an integer >= 0, got {query.oldest!r}")
    if not all(isinstance(window, str) for window in query.ids):
        raise BadInputError("a window query's ids must be strings")
    return query


def decode_rows(found: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Stored rows (window -> JSON text) as objects, least recently seen first (ties by id)."""
    rows = {window: json.loads(text) for window, text in found.items()}
    return dict(sorted(rows.items(), key=lambda item: (item[1]["seen"], item[0])))


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)
