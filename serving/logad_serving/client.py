"""A small client for the transformer: send a tenant's raw lines in requests, collect the decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx


def send_lines(
    url: str,
    model: str,
    tenant: str,
    lines: Sequence[str],
    lines_per_request: int = 500,
    flush: bool = True,
    token: str | None = None,
) -> list[dict[str, Any]]:
    """POST ``lines`` in order to ``url``'s v1 endpoint as ``tenant``; the decisions of every completed window
    (all open ones too when ``flush``). Raises ``httpx.HTTPStatusError`` with the server's message on a 4xx/5xx."""
    headers = {"X-Tenant-Id": tenant, **({"Authorization": f"Bearer {token}"} if token else {})}
    decisions: list[dict[str, Any]] = []
    starts = range(0, max(len(lines), 1), lines_per_request)
    with httpx.Client(timeout=300) as client:
        for start in starts:
            body = {"instances": list(lines[start : start + lines_per_request])}
            body["flush"] = flush and start == starts[-1]
            reply = client.post(f"{url}/v1/models/{model}:predict", json=body, headers=headers)
            if reply.is_error:
                raise httpx.HTTPStatusError(f"{reply.status_code}: {reply.text}", request=reply.request, response=reply)
            decisions += reply.json()["predictions"]
    return decisions
