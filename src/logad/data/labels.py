"""Per-session labels from a CSV (Loghub's `BlockId,Label` with Normal/Anomaly, or id,label with 0/1)."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable
from pathlib import Path

from logad.errors import BadInputError

_ID_COLUMNS = ("blockid", "id", "session", "session_id")
_VALUES = {"normal": 0, "anomaly": 1, "anomalous": 1, "0": 0, "1": 1}


def load_session_labels(path: Path) -> dict[str, int]:
    """Map session id -> 0/1; every bad row is an error naming its line."""
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"cannot open label file {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        id_col = next((header.index(c) for c in _ID_COLUMNS if c in header), None)
        if id_col is None or "label" not in header:
            raise BadInputError(f"label file {path} needs a header with an id column (BlockId or id) and Label")
        label_col = header.index("label")
        labels: dict[str, int] = {}
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            if len(row) <= max(id_col, label_col):
                raise BadInputError(f"{path} line {line}: expected {len(header)} columns, got {len(row)}")
            session, value = row[id_col].strip(), _VALUES.get(row[label_col].strip().lower())
            if value is None:
                raise BadInputError(f"{path} line {line}: label {row[label_col]!r} is not Normal/Anomaly or 0/1")
            if labels.setdefault(session, value) != value:
                raise BadInputError(f"{path} line {line}: session {session!r} labelled both normal and anomalous")
    if not labels:
        raise BadInputError(f"label file {path} has no rows")
    return labels


def check_label_coverage(labelled_ids: Iterable[str], seen_ids: Collection[str], path: Path | None) -> int:
    """Error when the label file matches none of the sessions; else the number of sessions without a label."""
    labelled = set(labelled_ids)
    missing = sum(1 for session in seen_ids if session not in labelled)
    if seen_ids and missing == len(seen_ids):
        example_seen = next(iter(seen_ids))
        example_label = next(iter(labelled), "")
        raise BadInputError(
            f"label file {path} matches none of the {len(seen_ids)} sessions in the logs "
            f"(a session id: {example_seen!r}; a labelled id: {example_label!r}): wrong file or --window?"
        )
    return missing
