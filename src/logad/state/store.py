"""The tenant state store contract: one versioned JSON document per (namespace, tenant), written by compare-and-set.

The public methods validate their arguments and encode the document once; backends implement the ``_``-methods.
Deleting a tenant resets its version to 0, the version of a tenant that has no state.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from logad.errors import BadInputError, ConfigError, LogadError
from logad.tenants import check_tenant

_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class TenantState:
    """A tenant's document and its version (0 and ``{}`` when the tenant has no state yet)."""

    version: int
    data: dict[str, Any]


class StateConflict(LogadError):
    """A put whose ``expected_version`` is not the stored version: another writer got there first."""

    def __init__(self, tenant: str, expected: int, actual: int) -> None:
        super().__init__(
            f"state of tenant {tenant!r} changed concurrently: expected version {expected}, stored version {actual}"
        )
        self.tenant, self.expected, self.actual = tenant, expected, actual


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
    if not isinstance(data, dict):
        raise BadInputError(f"state of tenant {tenant!r} must be a JSON object, got {type(data).__name__}")
    try:
        return json.dumps(data, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise BadInputError(f"state of tenant {tenant!r} is not JSON-serialisable: {exc}") from None


class StateStore(ABC):
    """Durable, shared per-tenant state of one ``namespace`` (e.g. a model name); safe to call from many threads."""

    def __init__(self, namespace: str) -> None:
        self.namespace = check_namespace(namespace)

    def get(self, tenant: str) -> TenantState:
        """The tenant's current state."""
        found = self._get(check_tenant(tenant))
        return TenantState(0, {}) if found is None else TenantState(found[0], json.loads(found[1]))

    def put(self, tenant: str, data: dict[str, Any], expected_version: int) -> int:
        """Atomically replace the tenant's state if its version is still ``expected_version``; the new version.

        Raises StateConflict (nothing written) when another writer changed the state since it was read.
        """
        check_tenant(tenant)
        if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
            raise BadInputError(f"expected_version must be an integer >= 0, got {expected_version!r}")
        return self._put(tenant, encode_data(tenant, data), expected_version)

    def delete(self, tenant: str) -> bool:
        """Remove the tenant's state; True when there was some."""
        return self._delete(check_tenant(tenant))

    def tenants(self) -> list[str]:
        """The namespace's tenants that have state, sorted."""
        return sorted(self._tenants())

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""

    @abstractmethod
    def _get(self, tenant: str) -> tuple[int, str] | None:
        """(version, JSON text) of the tenant, or None when it has no state."""

    @abstractmethod
    def _put(self, tenant: str, text: str, expected_version: int) -> int:
        """Compare-and-set the tenant's JSON text; the new version, or StateConflict."""

    @abstractmethod
    def _delete(self, tenant: str) -> bool:
        """Remove the tenant; True when it existed."""

    @abstractmethod
    def _tenants(self) -> list[str]:
        """The namespace's tenants, in any order."""
