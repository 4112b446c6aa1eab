"""Operator tests: make `logad_operator` importable and let the reconcile timer tick fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path

try:
    import logad_operator  # noqa: F401
except ImportError:  # until the editable install is refreshed with operators/ on the package path (pyproject has it)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "operators"))

# kopf fixes a timer's interval when logad_operator.handlers is imported: tick every 0.2 s in these tests.
os.environ.setdefault("LOGAD_RECONCILE_INTERVAL", "0.2")
