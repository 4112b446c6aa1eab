"""Records of a tenant's decision log as the state stores keep them: validated JSON text keyed by window id.

A record is any JSON object with a non-empty string ``window`` (the window it is about). Reads add ``seq``, the
record's position in the tenant's log (1 for the first one written since the tenant's state was created); a
``seq`` in a record given to a write is the store's own and is dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from logad.errors import BadInputError, ConfigError

# The transformer logs every decision: 10,000 per tenant covers days of a busy tenant's windows for an operator's
# verdicts, while a tenant's log stays a few MiB even when records keep their windows' messages.
DEFAULT_DECISION_LOG_SIZE = 10_000
WINDOW = "window"
SEQ = "seq"


@dataclass(frozen=True)
class LogWrite:
    """What one ``put`` writes to a tenant's log: (window, JSON text) records to append and to amend in place."""

    append: list[tuple[str, str]]
    amend: list[tuple[str, str]]


def check_log_size(size: int) -> int:
    """``size`` if it is a usable bound (an integer >= 1), else ConfigError."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"decision log size must be an integer >= 1, got {size!r}")
    return size


def encode_object(value: Any, what: str) -> str:
    """``value`` as compact JSON; BadInputError naming ``what`` when it is not a JSON object of finite values."""
    if not isinstance(value, dict):
        raise BadInputError(f"{what} must be a JSON object, got {type(value).__name__}")
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise BadInputError(f"{what} is not JSON-serialisable: {exc}") from None


def encode_records(tenant: str, records: Sequence[dict[str, Any]], what: str) -> list[tuple[str, str]]:
    """(window, JSON text) of each record; BadInputError naming the record that is not one."""
    encoded = []
    for i, record in enumerate(records):
        where = f"decision record {i} to {what} for tenant {tenant!r}"
        window = record.get(WINDOW) if isinstance(record, dict) else None
        if not isinstance(window, str) or not window:
            raise BadInputError(f'{where} needs a non-empty string "{WINDOW}" field')
        encoded.append((window, encode_object({k: v for k, v in record.items() if k != SEQ}, where)))
    return encoded


def decode_record(seq: int, text: str) -> dict[str, Any]:
    """A stored record with its ``seq``."""
    return {**json.loads(text), SEQ: seq}
