"""Which tenant a request is for: the ``X-Tenant-Id`` header, else the body's ``tenant`` field (OTLP log records:
the resource attribute ``OTLP_TENANT_ATTRIBUTE`` by default)."""

from __future__ import annotations

from collections.abc import Mapping

from logad.errors import BadInputError
from logad.tenants import check_tenant

TENANT_HEADER = "x-tenant-id"
OTLP_TENANT_ATTRIBUTE = "service.namespace"


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Header ``name`` (case-insensitive) or None."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def request_tenant(headers: Mapping[str, str] | None, field: str | None, default: str | None = None) -> str:
    """The checked tenant name; BadInputError when none is given (and no default) or header and field disagree."""
    from_header = header(headers, TENANT_HEADER)
    if from_header and field and from_header != field:
        raise BadInputError(f"X-Tenant-Id {from_header!r} and the request's tenant {field!r} differ")
    tenant = from_header or field or default
    if not tenant:
        raise BadInputError('the request names no tenant: send the X-Tenant-Id header or a "tenant" field')
    return check_tenant(tenant)
