"""Windowing: session (by an id regex), fixed count, sliding count and sliding time windows.

A window is anomalous when any of its lines is (line labels) or its session is (session labels); its
label is None when neither is known. ``max_len`` caps the input length keeping the most recent events;
it does not relabel: the label stays that of the whole window.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from logad.data.types import LogRecord, LogSequence
from logad.errors import BadInputError, ConfigError

_GRAMMAR = "session:REGEX | fixed:N | sliding:N:STEP | time:SECONDS:STEP"


@dataclass(frozen=True)
class WindowSpec:
    """How records are grouped: ``kind`` with ``size``/``step`` (count or seconds) or a session ``pattern``."""

    kind: str
    size: float = 0
    step: float = 0
    pattern: str = ""

    @classmethod
    def parse(cls, text: str) -> WindowSpec:
        """Parse the CLI grammar; ConfigError names the spec and the grammar."""
        kind, _, rest = text.partition(":")
        try:
            if kind == "session" and rest:
                re.compile(rest)
                return cls("session", pattern=rest)
            parts = rest.split(":")
            if kind == "fixed" and len(parts) == 1:
                return cls._checked("fixed", int(parts[0]), int(parts[0]))
            if kind == "sliding" and len(parts) == 2:
                return cls._checked("sliding", int(parts[0]), int(parts[1]))
            if kind == "time" and len(parts) == 2:
                return cls._checked("time", float(parts[0]), float(parts[1]))
        except (ValueError, re.error) as exc:
            raise ConfigError(f"window spec {text!r}: {exc}; expected {_GRAMMAR}") from None
        raise ConfigError(f"window spec {text!r} is not valid; expected {_GRAMMAR}")

    @classmethod
    def _checked(cls, kind: str, size: float, step: float) -> WindowSpec:
        if size <= 0 or step <= 0:
            raise ValueError("size and step must be positive")
        return cls(kind, size, step)

    def __str__(self) -> str:
        if self.kind == "session":
            return f"session:{self.pattern}"
        if self.kind == "fixed":
            return f"fixed:{int(self.size)}"
        if self.kind == "sliding":
            return f"sliding:{int(self.size)}:{int(self.step)}"
        return f"time:{self.size:g}:{self.step:g}"


def make_windows(
    records: Iterable[LogRecord],
    spec: WindowSpec,
    session_labels: dict[str, int] | None = None,
    max_len: int | None = None,
) -> list[LogSequence]:
    """All windows of ``records`` as a list (see ``iter_windows``)."""
    return list(iter_windows(records, spec, session_labels, max_len))


def iter_windows(
    records: Iterable[LogRecord],
    spec: WindowSpec,
    session_labels: dict[str, int] | None = None,
    max_len: int | None = None,
) -> Iterator[LogSequence]:
    """Windows as they complete; session windows come at the end of the stream, in first-event order."""
    if spec.kind == "session":
        windows = _session_windows(records, re.compile(spec.pattern), session_labels or {})
    elif spec.kind == "time":
        windows = _time_windows(records, spec.size, spec.step)
    else:
        windows = _count_windows(records, int(spec.size), int(spec.step))
    for window in windows:
        yield truncate_window(window, max_len)


def _session_windows(
    records: Iterable[LogRecord], pattern: re.Pattern[str], labels: dict[str, int]
) -> Iterator[LogSequence]:
    """A line joins every session whose id appears in it (HDFS lines can name several blocks)."""
    sessions: dict[str, list[LogRecord]] = {}
    for record in records:
        session_ids = dict.fromkeys(pattern.findall(record.content))
        if not session_ids:
            continue
        # Sessions close only at the end of the stream: buffer what windows need, not the parsed fields.
        slim = LogRecord(record.line_no, record.content, record.timestamp, record.label)
        for session_id in session_ids:
            sessions.setdefault(session_id, []).append(slim)
    for session_id, members in sessions.items():
        yield build_window(session_id, members, labels.get(session_id))


def _count_windows(records: Iterable[LogRecord], size: int, step: int) -> Iterator[LogSequence]:
    """Windows of ``size`` records starting every ``step`` records (``step > size`` leaves gaps).

    At the end of the stream, the records not yet in any window form one final, shorter window.
    """
    buffer: deque[LogRecord] = deque()
    seen = covered = skip = 0
    for record in records:
        seen += 1
        if skip:
            skip -= 1
            covered = seen
            continue
        buffer.append(record)
        if len(buffer) == size:
            yield build_window(span_id(buffer), list(buffer), None)
            covered = seen
            for _ in range(min(step, size)):
                buffer.popleft()
            skip = max(step - size, 0)
    if buffer and seen > covered:
        yield build_window(span_id(buffer), list(buffer), None)


def _time_windows(records: Iterable[LogRecord], width: float, step: float) -> Iterator[LogSequence]:
    """Windows [start, start + width) every ``step`` seconds from the first timestamp; empty ones skipped."""
    buffer: deque[LogRecord] = deque()
    start: float | None = None
    for record in records:
        if record.timestamp is None:
            raise BadInputError(f"line {record.line_no} has no timestamp: time windows need a timed format")
        if start is None:
            start = record.timestamp
        while record.timestamp >= start + width:
            if buffer:
                yield build_window(span_id(buffer), list(buffer), None)
            start += step
            while buffer and buffer[0].timestamp < start:
                buffer.popleft()
            if not buffer and record.timestamp >= start + width:
                start += step * ((record.timestamp - start - width) // step + 1)
        buffer.append(record)
    if buffer:
        yield build_window(span_id(buffer), list(buffer), None)


def span_id(records: Iterable[LogRecord]) -> str:
    """``lines-A-B``: the id of a window of consecutive lines, from its first and last line numbers."""
    records = list(records)
    return f"lines-{records[0].line_no}-{records[-1].line_no}"


def build_window(window_id: str, members: list[LogRecord], session_label: int | None) -> LogSequence:
    """The window of ``members``: its label from line labels and the session label, its order the first line."""
    line_labels = [r.label for r in members if r.label is not None]
    label = session_label
    if line_labels:
        label = int(max(line_labels) == 1 or session_label == 1)
    timestamps = [r.timestamp for r in members]
    return LogSequence(
        id=window_id,
        messages=[r.content for r in members],
        timestamps=timestamps if None not in timestamps else None,
        label=label,
        order=members[0].line_no,
    )


def window_prefix(window: LogSequence, first_n: int) -> LogSequence:
    """A new, ``open`` window of ``window``'s first ``first_n`` events, its id suffixed ``@N``; the label stays the
    whole window's (a session's label is the session's)."""
    if first_n < 1:
        raise ValueError(f"first_n must be at least 1, not {first_n}")
    return dataclasses.replace(
        window,
        id=f"{window.id}@{first_n}",
        messages=window.messages[:first_n],
        timestamps=None if window.timestamps is None else window.timestamps[:first_n],
        open=True,
    )


def truncate_window(window: LogSequence, max_len: int | None) -> LogSequence:
    """``window`` cut to its most recent ``max_len`` events (in place; the label is kept)."""
    if max_len is not None and len(window.messages) > max_len:
        window.messages = window.messages[-max_len:]
        if window.timestamps:
            window.timestamps = window.timestamps[-max_len:]
    return window
