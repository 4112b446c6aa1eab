"""The tenant state store contract: one versioned JSON document per (namespace, tenant), written by compare-and-set,
and beside it the tenant's open windows (one row each and its events' chunks, see ``open_windows``) and its bounded
decision log, written in the same atomic step.

The public methods validate their arguments and encode the document once; backends implement the ``_``-methods.
Deleting a tenant resets its version to 0, the version of a tenant that has no state, and deletes its rows, their
events and its log.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from logad.errors import BadInputError, ConfigError, LogadError
from logad.state.decision_log import (
    DEFAULT_DECISION_LOG_SIZE,
    LogWrite,
    check_log_size,
    decode_record,
    encode_object,
    encode_records,
)
from logad.state.open_windows import (
    EncodedRow,
    StoredRow,
    WindowQuery,
    WindowWrite,
    check_query,
    decode_rows,
    encode_rows,
)
from logad.tenants import check_tenant

_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class RowWrite:
    """Encoded open-window rows to write and ids to delete, as a backend receives them."""

    put: list[EncodedRow]
    delete: list[str]


@dataclass(frozen=True)
class TenantState:
    """A tenant's document and its version (0 and ``{}`` when the tenant has no state yet), with the open-window
    rows a reader asked for (``StateStore.open_windows``)."""

    version: int
    data: dict[str, Any]
    windows: dict[str, dict[str, Any]] = field(default_factory=dict)


class StateConflict(LogadError):
    """A put whose ``expected_version`` is not the stored version: another writer got there first."""

    def __init__(self, tenant: str, expected: int, actual: int) -> None:
        super().__init__(
            f"state of tenant {tenant!r} changed concurrently: expected version {expected}, stored version {actual}"
        )
        self.tenant, self.expected, self.actual = tenant, expected, actual


class StoreUnavailable(LogadError):
    """The store's backend cannot be reached (a Redis server that is down): nothing was read or written."""


def check_namespace(namespace: str) -> str:
    """``namespace`` if it is a safe key prefix (1-128 letters, digits, '_', '.' or '-'), else ConfigError."""
    if not isinstance(namespace, str) or not _NAMESPACE_RE.fullmatch(namespace):
        raise ConfigError(
            f"state namespace {namespace!r} is invalid: use 1-128 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit"
        )
    return namespace


def encode_data(tenant: str, data: dict[str, Any]) -> str:
    """``data`` as compact JSON; BadInputError when it is not a JSON object of finite values."""
    return encode_object(data, f"state of tenant {tenant!r}")


class StateStore(ABC):
    """Durable, shared per-tenant state of one ``namespace`` (e.g. a model name); safe to call from many threads.

    Each tenant also has a decision log: records (JSON objects with a ``window`` id) numbered 1, 2, ... in the
    order written, of which the newest ``decision_log_size`` are kept. It is written only by ``put``, in the same
    atomic step as the state, so a log never holds a decision whose state change was lost, nor misses one that was
    kept.
    """

    def __init__(self, namespace: str, decision_log_size: int = DEFAULT_DECISION_LOG_SIZE) -> None:
        self.namespace = check_namespace(namespace)
        self.decision_log_size = check_log_size(decision_log_size)

    def get(self, tenant: str) -> TenantState:
        """The tenant's current state."""
        found = self._get(check_tenant(tenant))
        return TenantState(0, {}) if found is None else TenantState(found[0], json.loads(found[1]))

    def put(
        self,
        tenant: str,
        data: dict[str, Any],
        expected_version: int,
        *,
        append: Sequence[dict[str, Any]] = (),
        amend: Sequence[dict[str, Any]] = (),
        windows: WindowWrite | None = None,
    ) -> int:
        """Atomically replace the tenant's state if its version is still ``expected_version``; the new version.

        In the same step, ``windows`` writes and deletes open-window rows, ``append`` adds records to the tenant's
        decision log (oldest dropped beyond the bound) and ``amend`` replaces the latest record of each of its
        records' windows in place (e.g. to attach an operator's verdict; a window without a record left is skipped).
        Raises StateConflict (nothing written, rows and log included) when another writer changed the state since it
        was read, and BadInputError (nothing written) when a row appends to a window after ``kept`` events but the
        window has not exactly that many stored.
        """
        check_tenant(tenant)
        if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
            raise BadInputError(f"expected_version must be an integer >= 0, got {expected_version!r}")
        log = LogWrite(encode_records(tenant, append, "append"), encode_records(tenant, amend, "amend"))
        rows = RowWrite(encode_rows(tenant, windows.put), list(windows.delete)) if windows else RowWrite([], [])
        return self._put(tenant, encode_data(tenant, data), expected_version, log, rows)

    def open_windows(self, tenant: str, query: WindowQuery) -> dict[str, dict[str, Any]]:
        """The tenant's open-window rows that ``query`` selects (window id -> row), least recently seen first: with
        all their events, or, for those selected only by id, none (``kept`` says how many are stored).

        Read apart from ``get``: a put in between bumps the version, so a write computed from both conflicts."""
        check_tenant(tenant)
        return decode_rows(tenant, self._open_windows(tenant, check_query(query)))

    def decision(self, tenant: str, window: str) -> dict[str, Any] | None:
        """The latest logged record of ``window`` for ``tenant`` (with its ``seq``), or None when there is none."""
        check_tenant(tenant)
        if not isinstance(window, str):
            raise BadInputError(f"a window id must be a string, not {type(window).__name__}")
        found = self._decision(tenant, window)
        return None if found is None else decode_record(*found)

    def decisions(self, tenant: str, limit: int = 100, before: int | None = None) -> list[dict[str, Any]]:
        """The tenant's logged records newest first (each with its ``seq``), at most ``limit``, only those with a
        ``seq`` below ``before`` when given (the last page's smallest ``seq`` pages further back)."""
        check_tenant(tenant)
        for name, value, low in (("limit", limit, 1), ("before", before, 1)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
                raise BadInputError(f"decision log {name} must be an integer >= {low}, got {value!r}")
        return [decode_record(*found) for found in self._decisions(tenant, limit, before)]

    def delete(self, tenant: str) -> bool:
        """Remove the tenant's state; True when there was some."""
        return self._delete(check_tenant(tenant))

    def tenants(self) -> list[str]:
        """The namespace's tenants that have state, sorted."""
        return sorted(self._tenants())

    def ping(self) -> None:
        """Return when the backend answers; StoreUnavailable when it does not (readiness checks)."""
        self._ping()

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""

    @abstractmethod
    def _get(self, tenant: str) -> tuple[int, str] | None:
        """(version, JSON text) of the tenant, or None when it has no state."""

    @abstractmethod
    def _put(self, tenant: str, text: str, expected_version: int, log: LogWrite, rows: RowWrite) -> int:
        """Compare-and-set the tenant's JSON text and write ``log`` and ``rows`` with it (appending a row's events after
        its ``kept`` stored ones, or replacing them when 0); the new version, or StateConflict, or BadInputError
        (``append_mismatch``) when a row's ``kept`` is not its stored count."""

    @abstractmethod
    def _open_windows(self, tenant: str, query: WindowQuery) -> dict[str, StoredRow]:
        """Window id -> the rows ``query`` selects, read in one snapshot: with their chunks, except those selected only
        by id whose stored metadata has a ``count`` below ``full_at_count`` (or None)."""

    @abstractmethod
    def _decision(self, tenant: str, window: str) -> tuple[int, str] | None:
        """(seq, JSON text) of the latest record of ``window``, or None."""

    @abstractmethod
    def _decisions(self, tenant: str, limit: int, before: int | None) -> list[tuple[int, str]]:
        """(seq, JSON text) of up to ``limit`` records with a seq below ``before`` (any when None), newest first."""

    @abstractmethod
    def _delete(self, tenant: str) -> bool:
        """Remove the tenant, its open-window rows and their events, and its decision log; True when it had state."""

    @abstractmethod
    def _tenants(self) -> list[str]:
        """The namespace's tenants, in any order."""

    @abstractmethod
    def _ping(self) -> None:
        """Reach the backend; StoreUnavailable when it does not answer."""
