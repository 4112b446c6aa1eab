"""Output files: logs streamed line by line (plain or reproducible gzip), the label CSV and JSON lines."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NamedTuple

TimedLines = Iterable[tuple[float, str]]  # (time, line) pairs in time order


class Written(NamedTuple):
    """How many lines a log got, and the first (1-based) at or after the drift time (None if none)."""

    lines: int
    drift_line: int | None


def write_log(path: Path, lines: TimedLines, compress: bool, drift_time: int | None) -> Written:
    """Stream ``(time, line)`` pairs to ``path``, gzip-compressed when ``compress``."""
    count, drift_line = 0, None
    with _open_text(path, compress) as handle:
        for when, line in lines:
            count += 1
            if drift_line is None and drift_time is not None and when >= drift_time:
                drift_line = count
            handle.write(line)
            handle.write("\n")
    return Written(count, drift_line)


def write_labels(path: Path, blocks: Iterable[tuple[str, str | None]]) -> None:
    """Loghub's ``BlockId,Label`` CSV with ``Normal``/``Anomaly``, from (block id, anomaly kind or None)."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("BlockId,Label\n")
        rows = (f"{block_id},{'Normal' if kind is None else 'Anomaly'}\n" for block_id, kind in blocks)
        handle.writelines(rows)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """One JSON object a line."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)


@contextmanager
def _open_text(path: Path, compress: bool) -> Iterator[IO[str]]:
    """A UTF-8 text file to write; gzip gets a fixed header (no name, mtime 0), so output is reproducible."""
    with path.open("wb") as raw:
        stream: IO[bytes] = raw
        if compress:
            stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        with io.TextIOWrapper(stream, encoding="utf-8", newline="\n") as handle:
            yield handle
