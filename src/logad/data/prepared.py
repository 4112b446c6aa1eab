"""Prepared windows: the windows of a log written once as sessions-jsonl, in chronological order, so that every
later step (train, evaluate, knowledge base) reads the same windows and the same split without re-parsing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from logad.data.splits import chronological_key
from logad.data.types import LogSequence
from logad.jsonio import atomic_writer, write_json_atomic

SOURCE_SUFFIX = ".source.json"


def write_windows(sequences: Iterable[LogSequence], path: Path) -> int:
    """Write ``sequences`` as sessions-jsonl sorted by their chronological key (atomically); returns the count.

    Line order is then the tie-breaker a chronological split uses on the prepared file, so ``chrono`` splits of
    the prepared file and of the original log agree.
    """
    ordered = sorted(sequences, key=chronological_key)
    with atomic_writer(path) as out:
        for seq in ordered:
            record: dict = {"id": seq.id, "messages": seq.messages}
            if seq.timestamps is not None:
                record["timestamps"] = seq.timestamps
            if seq.label is not None:
                record["label"] = seq.label
            out.write(json.dumps(record) + "\n")
    return len(ordered)


def source_path(windows_path: Path) -> Path:
    """The sidecar beside prepared windows that records how raw lines became them (format, window, max_len)."""
    return windows_path.with_name(windows_path.name + SOURCE_SUFFIX)


def write_source(windows_path: Path, spec: dict) -> None:
    """Record the raw-line data spec of prepared windows, so a model trained on them can serve raw lines."""
    write_json_atomic(source_path(windows_path), spec)


def read_source(windows_path: Path) -> dict | None:
    """The raw-line data spec recorded beside prepared windows, or None."""
    path = source_path(windows_path)
    return json.loads(path.read_text()) if path.is_file() else None
