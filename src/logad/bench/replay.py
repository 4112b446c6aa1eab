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

from logad.data.readers import open_lines

LINES_PER_REQUEST = 100
CONCURRENCY = 8


def tenant_name(tenants: int, index: int) -> str:
    return f"bench-{tenants}-{index:03d}"


def first_lines(path: Path, count: int) -> list[str]:
    """The first ``count`` lines of a plain or gzip log file."""
    return [text for _, text in itertools.islice(open_lines(path), count)]


async def replay(url: str, model: str, lines: list[str], tenants: int, max_seconds: float) -> dict[str, Any]:
    """Send ``lines`` to the transformer at ``url`` as ``tenants`` tenants' raw-line requests for ``model`` (each
    tenant's in order, at most ``CONCURRENCY`` in flight, no new request after ``max_seconds``), then flush every
    tenant; counts, rates and client latencies."""
    chunks = [lines[i : i + LINES_PER_REQUEST] for i in range(0, len(lines), LINES_PER_REQUEST)]
    per_tenant = {tenant_name(tenants, t): chunks[t::tenants] for t in range(tenants)}
    gate = asyncio.Semaphore(CONCURRENCY)
    latencies: list[float] = []
    counts = {"requests": 0, "lines": 0, "windows": 0, "errors": 0}
    started = time.perf_counter()
    deadline = started + max_seconds
    bar = tqdm(total=len(chunks) + tenants, desc=f"{tenants} tenant(s)", unit="req", leave=False)

    async def send(client: httpx.AsyncClient, tenant: str, chunk: list[str], flush: bool) -> None:
        async with gate:
            begun = time.perf_counter()
            try:
                reply = await client.post(
                    f"{url}/v1/models/{model}:predict",
                    json={"instances": chunk, "flush": flush, "explain": False},
                    headers={"X-Tenant-Id": tenant},
                )
                ok = reply.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - begun)
        counts["requests"] += 1
        counts["errors"] += not ok
        if ok:
            counts["lines"] += len(chunk)
            counts["windows"] += len(reply.json()["predictions"])
        bar.update()

    async def tenant_stream(client: httpx.AsyncClient, tenant: str) -> None:
        for chunk in per_tenant[tenant]:
            if time.perf_counter() > deadline:
                break
            await send(client, tenant, chunk, flush=False)
        await send(client, tenant, [], flush=True)

    async with httpx.AsyncClient(timeout=120) as client:
        await asyncio.gather(*(tenant_stream(client, tenant) for tenant in per_tenant))
    bar.close()
    seconds = time.perf_counter() - started
    return {
        **counts,
        "seconds": round(seconds, 2),
        "lines/s": round(counts["lines"] / seconds),
        "windows/s": round(counts["windows"] / seconds, 1),
        "p50 ms": round(float(np.percentile(latencies, 50)) * 1000, 1),
        "p99 ms": round(float(np.percentile(latencies, 99)) * 1000, 1),
    }
