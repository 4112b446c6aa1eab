"""Streaming readers: plain or gzip log files line by line, and sessions-jsonl; bad lines are counted.

Nothing here holds a whole file in memory. Lines that cannot be used are skipped and counted in a
``ReadReport`` (with the first few as examples); a file that cannot be used at all is a ``BadInputError``.
Use one report per file: its counters also decide when a file fails.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logad.data.formats import SESSIONS_JSONL, LogFormat
from logad.data.types import LogRecord, LogSequence
from logad.errors import BadInputError, ConfigError

_FAIL_FAST_LINES = 1000  # a file whose first this many non-empty lines are all bad fails at once
_EXAMPLES = 5
_SNIPPET = 120
_GZIP_MAGIC = b"\x1f\x8b"
_BUFFER = 1 << 20


@dataclass
class ReadReport:
    """What happened while reading one file.

    ``lines`` counts every physical line, ``records`` the ones yielded, ``empty_lines`` the blank ones,
    ``malformed`` the skipped ones and ``non_utf8`` those kept with invalid bytes replaced by U+FFFD.
    ``examples`` holds the first few skipped lines as (line number, reason, snippet).
    """

    path: Path
    lines: int = 0
    records: int = 0
    empty_lines: int = 0
    malformed: int = 0
    non_utf8: int = 0
    examples: list[tuple[int, str, str]] = field(default_factory=list)

    def skip(self, line_no: int, reason: str, text: str) -> None:
        """Count a skipped line and keep the first few as examples."""
        self.malformed += 1
        if len(self.examples) < _EXAMPLES:
            self.examples.append((line_no, reason, text[:_SNIPPET]))

    def summary(self) -> str:
        """One line for the end of a CLI run."""
        text = f"{self.path}: {self.lines:,} lines, {self.records:,} read"
        if self.malformed:
            line_no, reason, _ = self.examples[0]
            text += f", {self.malformed:,} skipped (e.g. line {line_no}: {reason})"
        if self.empty_lines:
            text += f", {self.empty_lines:,} empty"
        if self.non_utf8:
            text += f", {self.non_utf8:,} with invalid UTF-8 (kept, bytes replaced)"
        return text


def open_lines(path: Path, report: ReadReport | None = None) -> Iterator[tuple[int, str]]:
    """(1-based line number, text without the line break) of a plain or gzip file (told by its magic bytes).

    Lines are decoded as UTF-8; invalid bytes are replaced and the line counted in ``report.non_utf8``.
    ``report.lines`` follows the lines read. A missing, unreadable, corrupt or empty file, or a
    directory, is a BadInputError.
    """
    path = Path(path)
    report = report if report is not None else ReadReport(path)
    if path.is_dir():
        raise BadInputError(f"{path} is a directory, not a log file")
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise BadInputError(f"cannot open {path}: {exc.strerror}") from None
    with raw:
        stream = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == _GZIP_MAGIC else raw
        line_no = 0
        try:
            for line_no, data in enumerate(io.BufferedReader(stream, _BUFFER), start=1):
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = data.decode("utf-8", errors="replace")
                    report.non_utf8 += 1
                report.lines = line_no
                yield line_no, text.rstrip("\r\n")
        except (OSError, EOFError, zlib.error) as exc:
            raise BadInputError(f"{path} is not readable as plain text or gzip: {exc}") from None
    if line_no == 0:
        raise BadInputError(f"{path} is empty")


def read_records(path: Path, fmt: LogFormat, report: ReadReport) -> Iterator[LogRecord]:
    """Parsed records of a log file in ``fmt``, streamed.

    Lines are stripped and matched as Loghub does; blank lines and lines that do not match are counted
    and skipped. When the first ~1000 non-empty lines all fail, or no line at all matches, it raises a
    BadInputError quoting the first line.
    """
    if fmt.regex is None:
        raise ConfigError(f"format {fmt.name} holds sessions, not log lines: read {path} with read_sessions")
    parse = line_parser(fmt)
    what = f"no line of {path} matches format {fmt.name} ({fmt.header})"
    reason = f"does not match format {fmt.name}"
    for line_no, text in open_lines(path, report):
        line = text.strip()
        if not line:
            report.empty_lines += 1
            continue
        record = parse(line_no, line)
        if record is None:
            report.skip(line_no, reason, line)
            _fail_fast(report, what)
            continue
        report.records += 1
        yield record
    _check_found_any(report, path, what)


def line_parser(fmt: LogFormat) -> Callable[[int, str], LogRecord | None]:
    """A function from (line number, stripped non-empty line) to its record in ``fmt``, None when it does not match.

    The record holds the ``Content`` field, the timestamp where ``fmt`` has one and, where ``fmt`` has a
    ``label_field``, the per-line label (0 for ``-``, else 1).
    """
    if fmt.regex is None:
        raise ConfigError(f"format {fmt.name} holds sessions, not log lines")
    match, stamp, label_field = fmt.regex.match, fmt.timestamp, fmt.label_field

    def parse(line_no: int, line: str) -> LogRecord | None:
        found = match(line)
        if found is None:
            return None
        fields = found.groupdict("")
        label = None if label_field is None else int(fields[label_field] != "-")
        return LogRecord(line_no, fields["Content"], stamp(fields) if stamp else None, label, fields)

    return parse


def read_sessions(path: Path, report: ReadReport) -> Iterator[LogSequence]:
    """Sequences of a sessions-jsonl file, streamed; ``order`` is the line number.

    One JSON object a line: ``{"id": str|int, "messages": [str, ...], "timestamps": [number, ...]?,
    "label": 0|1?}``. Invalid JSON, a missing or mistyped field, timestamps not aligned with messages,
    a label other than 0/1 and a repeated id are counted skips with the line and reason.
    """
    what = f"no line of {path} is a valid {SESSIONS_JSONL} session"
    seen: set[str] = set()
    for line_no, text in open_lines(path, report):
        if not text.strip():
            report.empty_lines += 1
            continue
        try:
            sequence = _session_from_json(text, line_no)
            if sequence.id in seen:
                raise ValueError(f"duplicate id {sequence.id!r}")
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            report.skip(line_no, str(exc), text)
            _fail_fast(report, what)
            continue
        seen.add(sequence.id)
        report.records += 1
        yield sequence
    _check_found_any(report, path, what)


def _session_from_json(text: str, line_no: int) -> LogSequence:
    """Validate one sessions-jsonl line; ValueError names the bad field."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    return window_from_object(obj, line_no)


def window_from_object(obj: Any, order: int, default_id: str | None = None) -> LogSequence:
    """One window as a JSON object (``{"id", "messages", "timestamps"?, "label"?}``, the sessions-jsonl line and the
    predictor's instance); ``default_id`` stands in for a missing id. ValueError names the bad field."""
    if not isinstance(obj, dict):
        raise ValueError(f"not a JSON object but {type(obj).__name__}")
    session_id, messages = obj.get("id", default_id), obj.get("messages")
    timestamps, label = obj.get("timestamps"), obj.get("label")
    if not (type(session_id) is int or (isinstance(session_id, str) and session_id)):
        raise ValueError(f"field 'id' must be a non-empty string or an integer, not {session_id!r}")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, str) for m in messages):
        raise ValueError("field 'messages' must be a non-empty list of strings")
    if timestamps is not None:
        if not isinstance(timestamps, list) or not all(type(t) in (int, float) for t in timestamps):
            raise ValueError("field 'timestamps' must be a list of numbers")
        if not all(math.isfinite(t) for t in timestamps):
            raise ValueError("field 'timestamps' holds NaN or an infinity")
        if len(timestamps) != len(messages):
            raise ValueError(f"field 'timestamps' has {len(timestamps)} items for {len(messages)} messages")
    if label is not None and (type(label) is not int or label not in (0, 1)):
        raise ValueError(f"field 'label' must be 0 or 1, not {label!r}")
    return LogSequence(
        id=str(session_id),
        messages=messages,
        timestamps=[float(t) for t in timestamps] if timestamps is not None else None,
        label=label,
        order=order,
    )


def _fail_fast(report: ReadReport, what: str) -> None:
    """Raise once the first ``_FAIL_FAST_LINES`` non-empty lines have all been skipped."""
    if report.records == 0 and report.malformed >= _FAIL_FAST_LINES:
        raise _nothing_usable(report, what)


def _check_found_any(report: ReadReport, path: Path, what: str) -> None:
    """At the end of a file: an error when no line was usable."""
    if report.records:
        return
    if report.malformed:
        raise _nothing_usable(report, what)
    raise BadInputError(f"{path} is empty ({report.empty_lines:,} blank lines)")


def _nothing_usable(report: ReadReport, what: str) -> BadInputError:
    line_no, reason, snippet = report.examples[0]
    return BadInputError(f"{what}; line {line_no}: {snippet!r} ({reason})")
