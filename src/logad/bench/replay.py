"""Replaying raw log lines through a serving transformer on loopback, as many tenants, measuring rates and latency."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tqdm import tqdm

from logad.bench.first_decision import FirstDecisions
from logad.data.readers import open_lines

LINES_PER_REQUEST = 100
CONCURRENCY = 8
REQUEST_TIMEOUT_S = 120.0
FLUSH_TIMEOUT_S = 900.0  # a flush scores all of a tenant's open sessions at once: thousands, through a neural model


def tenant_name(tenants: int, index: int) -> str:
    return f"bench-{tenants}-{index:03d}"


def first_lines(path: Path, count: int) -> list[str]:
    """The first ``count`` lines of a plain or gzip log file."""
    return [text for _, text in itertools.islice(open_lines(path), count)]


async def replay(
    url: str,
    model: str,
    lines: list[str],
    tenants: int,
    max_seconds: float,
    rate: float | None = None,
    provisional: int | None = None,
    session_pattern: str | None = None,
) -> dict[str, Any]:
    """Send ``lines`` to the transformer at ``url`` as ``tenants`` tenants' raw-line requests for ``model`` (each
    tenant's in order, at most ``CONCURRENCY`` in flight, no new request after ``max_seconds``), then flush every
    tenant once all have sent their lines (a flush scores all of a tenant's open sessions at once: the line
    requests' latency is measured without them). With ``rate`` (requests/s), the stream's k-th request is not sent
    before k / ``rate`` seconds: an offered load below capacity, at which latency is service time, not queueing.
    ``provisional`` asks for provisional decisions of open sessions with that many events; ``session_pattern`` (the
    model's session id regex) measures the time to each session's first decision (``FirstDecisions``).

    Returns counts, rates and client latencies (of the line requests; the closing flushes' apart), and a ``trace``
    array of the line requests in stream order: the last line each sent, its latency in ms, the tenant's open
    windows after it."""
    chunks = [lines[i : i + LINES_PER_REQUEST] for i in range(0, len(lines), LINES_PER_REQUEST)]
    ends = list(itertools.accumulate(len(chunk) for chunk in chunks))  # each chunk's last line in the stream
    numbered = list(enumerate(zip(chunks, ends, strict=True)))
    per_tenant = {tenant_name(tenants, t): numbered[t::tenants] for t in range(tenants)}
    gate = asyncio.Semaphore(CONCURRENCY)
    latencies: dict[bool, list[float]] = {False: [], True: []}  # of line requests, of the closing flushes
    trace: list[tuple[int, float, int]] = []  # per answered line request: its last line, latency ms, open windows
    counts = {"requests": 0, "lines": 0, "windows": 0, "errors": 0}
    first = FirstDecisions(session_pattern) if session_pattern else None
    options = {"explain": False, **({"provisional": provisional} if provisional else {})}
    started = time.perf_counter()
    deadline = started + max_seconds
    bar = tqdm(total=len(chunks) + tenants, desc=f"{tenants} tenant(s)", unit="req", leave=False)

    async def send(client: httpx.AsyncClient, tenant: str, chunk: list[str], end: int, flush: bool) -> None:
        async with gate:
            begun = time.perf_counter()
            if first is not None:
                first.sent(tenant, chunk, end, begun)
            try:
                reply = await client.post(
                    f"{url}/v1/models/{model}:predict",
                    json={"instances": chunk, "flush": flush, **options},
                    headers={"X-Tenant-Id": tenant},
                    timeout=FLUSH_TIMEOUT_S if flush else REQUEST_TIMEOUT_S,
                )
                ok = reply.status_code == 200
            except httpx.HTTPError:
                ok = False
            latency = time.perf_counter() - begun
            latencies[flush].append(latency)
        counts["requests"] += 1
        counts["errors"] += not ok
        if ok:
            answer = reply.json()
            if first is not None:
                first.answered(tenant, answer, end, begun + latency, flush)
            counts["lines"] += len(chunk)
            counts["windows"] += len(answer["predictions"])
            if not flush:
                trace.append((end, latency * 1000, answer["open_windows"]))
        bar.update()

    reached = dict.fromkeys(per_tenant, 0)  # the last stream line each tenant sent

    async def tenant_stream(client: httpx.AsyncClient, tenant: str) -> None:
        for index, (chunk, end) in per_tenant[tenant]:
            if rate is not None:
                await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
            if time.perf_counter() > deadline:
                break
            await send(client, tenant, chunk, end, flush=False)
            reached[tenant] = end

    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(tenant_stream(client, tenant) for tenant in per_tenant))
        await asyncio.gather(*(send(client, tenant, [], max(reached.values()), flush=True) for tenant in per_tenant))
    bar.close()
    seconds = time.perf_counter() - started
    return {
        **counts,
        "seconds": round(seconds, 2),
        "lines/s": round(counts["lines"] / seconds),
        "windows/s": round(counts["windows"] / seconds, 1),
        "p50 ms": _percentile_ms(latencies[False], 50),
        "p99 ms": _percentile_ms(latencies[False], 99),
        "flush p99 ms": _percentile_ms(latencies[True], 99),
        **(first.summary() if first is not None else {}),
        "trace": np.array(sorted(trace), dtype=np.float64).reshape(-1, 3),
    }


def _percentile_ms(seconds: list[float], q: float) -> float | None:
    """The ``q``-th percentile of ``seconds`` in milliseconds (None when there are none)."""
    return round(float(np.percentile(seconds, q)) * 1000, 1) if seconds else None
