"""Where the real Loghub data lives: ``$LOGAD_SHARED_DATA`` or ``../shared/data`` beside the project."""

from __future__ import annotations

import os
from pathlib import Path

from logad.errors import LogadError

_PROJECT_ROOT = Path(__file__).resolve().parents[3]


def shared_data_dir(required: bool = False) -> Path | None:
    """The shared data folder, or None (or an error when ``required``) if it is not there."""
    candidates = [Path(p) for p in [os.environ.get("LOGAD_SHARED_DATA")] if p]
    candidates += [Path.cwd() / ".." / "shared" / "data", _PROJECT_ROOT / ".." / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    if required:
        raise LogadError("real data not found: set LOGAD_SHARED_DATA or put shared/data beside the project")
    return None
