"""Per-session labels from a CSV: Loghub's ``BlockId,Label`` with Normal/Anomaly, or ``id,label`` with 0/1."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from logad.errors import BadInputError

_ID_COLUMNS = ("blockid", "block_id", "id", "session", "session_id", "sessionid")
_VALUES = {"normal": 0, "anomaly": 1, "0": 0, "1": 1}


def load_session_labels(path: Path) -> dict[str, int]:
    """Map session id -> 0 (normal) / 1 (anomalous) from a CSV with a header row.

    Column names are case-insensitive: an id column (``BlockId``, ``id``, ``session_id``, ...) and ``Label``
    with ``Normal``/``Anomaly`` or ``0``/``1``. A bad row, an id labelled both ways, or a file without rows is
    a BadInputError naming the file and line; repeating an id with the same label is fine.
    """
    path = Path(path)
    labels: dict[str, int] = {}
    for line_no, session, text in _rows(path):
        value = _VALUES.get(text.lower())
        if not session:
            raise BadInputError(f"{path} line {line_no}: empty session id")
        if value is None:
            raise BadInputError(f"{path} line {line_no}: label {text!r} is not Normal/Anomaly or 0/1")
        if labels.setdefault(session, value) != value:
            raise BadInputError(f"{path} line {line_no}: session {session!r} is labelled both normal and anomalous")
    if not labels:
        raise BadInputError(f"label file {path} has no rows, only a header")
    return labels


def _rows(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line number, id, label text) of each non-blank data row; BadInputError for unreadable files."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise BadInputError(f"cannot read label file {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            id_col, label_col = _columns(path, next(reader, None))
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) <= max(id_col, label_col):
                    raise BadInputError(f"{path} line {reader.line_num}: expected an id and a label, got {row!r}")
                yield reader.line_num, row[id_col].strip(), row[label_col].strip()
        except UnicodeDecodeError:
            raise BadInputError(f"label file {path} is not UTF-8 text") from None
        except csv.Error as exc:
            raise BadInputError(f"label file {path} line {reader.line_num} is not valid CSV: {exc}") from None


def _columns(path: Path, header: list[str] | None) -> tuple[int, int]:
    """Positions of the id and label columns in the header row."""
    if header is None:
        raise BadInputError(f"label file {path} is empty")
    names = [name.strip().lower() for name in header]
    id_col = next((names.index(name) for name in _ID_COLUMNS if name in names), None)
    if id_col is None or "label" not in names:
        raise BadInputError(
            f"label file {path} needs a header with an id column ({', '.join(_ID_COLUMNS)}) and a Label column; "
            f"line 1 is {','.join(header)!r}"
        )
    return id_col, names.index("label")


def check_label_coverage(
    labelled_ids: Iterable[str], seen_ids: Collection[str], labels_path: Path | None, logs_path: Path | None = None
) -> int:
    """How many of the sessions ``seen_ids`` (read from ``logs_path``) have no label in ``labelled_ids``.

    A label file that matches none of them is almost always the wrong file or the wrong window spec, so
    that is a BadInputError with an example id from each side. No sessions at all gives 0.
    """
    labelled = dict.fromkeys(labelled_ids)  # keeps the order for the example
    missing = sum(session not in labelled for session in seen_ids)
    if seen_ids and missing == len(seen_ids):
        where = f" in {logs_path}" if logs_path else ""
        example_label = next(iter(labelled), None)
        raise BadInputError(
            f"label file {labels_path} matches none of the {len(seen_ids):,} sessions{where}; "
            f"example session id {next(iter(seen_ids))!r}, example label id {example_label!r} "
            "(wrong label file or window spec?)"
        )
    return missing
