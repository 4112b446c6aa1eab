"""Prepared windows: the windows of a log written once as sessions-jsonl, in chronological order, so that every
later step (train, evaluate, knowledge base) reads the same windows and the same split without re-parsing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from logad.data.splits import chronological_key
from logad.data.types import LogSequence
from logad.jsonio import atomic_writer


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
