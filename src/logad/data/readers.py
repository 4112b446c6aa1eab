"""Streaming readers: plain or gzip log files line by line, and sessions-jsonl; bad lines are counted."""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logad.data.formats import LogFormat
from logad.data.types import LogRecord, LogSequence
from logad.errors import BadInputError

_FAIL_FAST_LINES = 1000
_EXAMPLES = 5


@dataclass
class ReadReport:
    """What happened while reading one file: counts of every kind of skipped or repaired line."""

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
            self.examples.append((line_no, reason, text[:120]))

    def summary(self) -> str:
        """One line for the end of a run."""
        text = f"{self.path}: {self.lines} lines, {self.records} read"
        if self.malformed:
            first = self.examples[0] if self.examples else None
            text += f", {self.malformed} skipped"
            if first:
                text += f" (e.g. line {first[0]}: {first[1]})"
        if self.empty_lines:
            text += f", {self.empty_lines} empty"
        if self.non_utf8:
            text += f", {self.non_utf8} with non-UTF-8 bytes (kept, bytes replaced)"
        return text


def open_lines(path: Path, report: ReadReport) -> Iterator[tuple[int, str]]:
    """(1-based line number, text) of a plain or gzip file, streamed; invalid UTF-8 is replaced and counted."""
    path = Path(path)
    if path.is_dir():
        raise BadInputError(f"{path} is a directory, not a log file")
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise BadInputError(f"cannot open {path}: {exc.strerror}") from None
    with raw:
        stream = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == b"\x1f\x8b" else raw
        try:
            for line_no, data in enumerate(io.BufferedReader(stream, 1 << 20), start=1):
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = data.decode("utf-8", errors="replace")
                    report.non_utf8 += 1
                report.lines = line_no
                yield line_no, text.rstrip("\r\n")
        except (OSError, EOFError) as exc:
            raise BadInputError(f"{path} is not readable as plain text or gzip: {exc}") from None
    if report.lines == 0:
        raise BadInputError(f"{path} is empty")


def read_records(path: Path, fmt: LogFormat, report: ReadReport) -> Iterator[LogRecord]:
    """Parsed records of a log file in ``fmt``; fails fast when no line matches the format at all."""
    if fmt.is_sessions:
        raise BadInputError(f"{path}: format {fmt.name} holds sessions, not lines")
    parse, stamp, label_field = fmt.parse_line, fmt.timestamp, fmt.label_field
    for line_no, text in open_lines(path, report):
        if not text.strip():
            report.empty_lines += 1
            continue
        fields = parse(text)
        if fields is None:
            report.skip(line_no, f"does not match format {fmt.name}", text)
            _fail_if_nothing_matches(report, fmt)
            continue
        label = None
        if label_field is not None:
            label = 0 if fields.get(label_field) == "-" else 1
        report.records += 1
        yield LogRecord(line_no, sys.intern(fields["Content"]), stamp(fields) if stamp else None, label, fields)
    _fail_if_nothing_matches(report, fmt, at_end=True)


def _fail_if_nothing_matches(report: ReadReport, fmt: LogFormat, at_end: bool = False) -> None:
    if report.records == 0 and report.malformed and (at_end or report.malformed >= _FAIL_FAST_LINES):
        line_no, _, text = report.examples[0]
        raise BadInputError(
            f"no line of {report.path} matches format {fmt.name} ({fmt.header}); line {line_no}: {text!r}"
        )


def read_sessions(path: Path, report: ReadReport) -> Iterator[LogSequence]:
    """Sequences from sessions-jsonl: ``{"id", "messages", "timestamps"?, "label"?}`` per line."""
    seen: set[str] = set()
    for line_no, text in open_lines(path, report):
        if not text.strip():
            report.empty_lines += 1
            continue
        try:
            sequence = _session_from_json(json.loads(text), line_no)
        except json.JSONDecodeError as exc:
            report.skip(line_no, f"invalid JSON ({exc.msg})", text)
            continue
        except ValueError as exc:
            report.skip(line_no, str(exc), text)
            continue
        if sequence.id in seen:
            report.skip(line_no, f"duplicate id {sequence.id!r}", text)
            continue
        seen.add(sequence.id)
        report.records += 1
        yield sequence
    if report.records == 0:
        detail = f"; line {report.examples[0][0]}: {report.examples[0][1]}" if report.examples else ""
        raise BadInputError(f"no valid session in {path}{detail}")


def _session_from_json(obj: Any, line_no: int) -> LogSequence:
    """Validate one sessions-jsonl object; ValueError names the bad field."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if not isinstance(obj.get("id"), str | int) or isinstance(obj.get("id"), bool):
        raise ValueError("field 'id' missing or not a string/integer")
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, str) for m in messages):
        raise ValueError("field 'messages' must be a non-empty list of strings")
    timestamps = obj.get("timestamps")
    if timestamps is not None:
        if not isinstance(timestamps, list) or not all(isinstance(t, int | float) for t in timestamps):
            raise ValueError("field 'timestamps' must be a list of numbers")
        if len(timestamps) != len(messages):
            raise ValueError(f"field 'timestamps' has {len(timestamps)} items for {len(messages)} messages")
    label = obj.get("label")
    if label is not None and label not in (0, 1):
        raise ValueError(f"field 'label' must be 0 or 1, not {label!r}")
    return LogSequence(
        id=str(obj["id"]),
        messages=[sys.intern(m) for m in messages],
        timestamps=[float(t) for t in timestamps] if timestamps is not None else None,
        label=label,
        order=line_no,
    )
