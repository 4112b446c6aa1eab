"""JSON files for state that must survive a crash: atomic writes, and reads that fail with a clear message."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from logad.errors import BadInputError

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A text file that appears at ``path`` complete or not at all: written to a synced temporary file in the same
    folder and renamed on success (removed on error)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as tmp:
        try:
            yield tmp
            tmp.flush()
            os.fsync(tmp.fileno())
        except BaseException:
            tmp.close()
            Path(tmp.name).unlink(missing_ok=True)
            raise
    os.chmod(tmp.name, 0o666 & ~_UMASK)  # temporary files are created 0600; give the usual file mode
    os.replace(tmp.name, path)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a synced temporary file and rename, so readers never see a half-written file."""
    with atomic_writer(path) as out:
        json.dump(data, out, indent=2, sort_keys=True)


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``; BadInputError naming ``what`` and the file when missing or corrupt."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"{what} {path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"{what} {path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"{path} is not a {what} (expected a JSON object)")
    return data
