"""Tenant names: one rule everywhere a tenant names a partition, a file or a filter expression."""

from __future__ import annotations

import re

from logad.errors import BadInputError

_TENANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def check_tenant(tenant: str) -> str:
    """``tenant`` if it is a safe tenant name (it goes into filter expressions and file names), else BadInputError."""
    if not isinstance(tenant, str) or not _TENANT_RE.fullmatch(tenant) or tenant in (".", ".."):
        raise BadInputError(
            f"tenant name {tenant!r} is invalid: use 1-63 letters, digits, '_', '.' or '-', starting with a letter "
            "or digit"
        )
    return tenant
