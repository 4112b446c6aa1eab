"""A small client for the transformer: send a tenant's raw lines in requests, collect the decisions.

Every request carries an ``Idempotency-Key`` of its own, and a request that failed on the way (connection lost, the
transformer restarting: 502/503/504, or a compare-and-set race lost to another replica: 409) is sent again with
the same key. The transformer commits a key at most once, so lines are counted once and every decision arrives,
whether the first try was lost before or after the tenant's state was written.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import httpx

RETRIED_STATUSES = frozenset({409, 502, 503, 504})


def send_lines(
    url: str,
    model: str,
    tenant: str,
    lines: Sequence[str],
    lines_per_request: int = 500,
    flush: bool = True,
    token: str | None = None,
    attempts: int = 5,
    backoff_seconds: float = 0.5,
    max_backoff_seconds: float = 5.0,
) -> list[dict[str, Any]]:
    """POST ``lines`` in order to ``url``'s v1 endpoint as ``tenant``; the decisions of every completed window
    (all open ones too when ``flush``). A request is tried up to ``attempts`` times, waiting ``backoff_seconds``
    (doubled each time, up to ``max_backoff_seconds``) in between; ``httpx.HTTPStatusError`` with the server's
    message on any other 4xx/5xx or the last failure."""
    headers = {"X-Tenant-Id": tenant, **({"Authorization": f"Bearer {token}"} if token else {})}
    decisions: list[dict[str, Any]] = []
    starts = range(0, max(len(lines), 1), lines_per_request)
    endpoint = f"{url}/v1/models/{model}:predict"
    with httpx.Client(timeout=300) as client:
        for start in starts:
            body = {"instances": list(lines[start : start + lines_per_request]), "flush": flush and start == starts[-1]}
            keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}
            backoff = (backoff_seconds, max_backoff_seconds)
            reply = _post_with_retries(client, endpoint, body, keyed, attempts, backoff)
            decisions += reply.json()["predictions"]
    return decisions


def _post_with_retries(
    client: httpx.Client,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    attempts: int,
    backoff: tuple[float, float],
) -> httpx.Response:
    attempt = 1
    while True:
        try:
            reply = client.post(url, json=body, headers=headers)
        except httpx.TransportError:
            if attempt >= attempts:
                raise
        else:
            if not reply.is_error:
                return reply
            if reply.status_code not in RETRIED_STATUSES or attempt >= attempts:
                raise httpx.HTTPStatusError(f"{reply.status_code}: {reply.text}", request=reply.request, response=reply)
        first, longest = backoff
        time.sleep(min(first * 2 ** (attempt - 1), longest))
        attempt += 1
