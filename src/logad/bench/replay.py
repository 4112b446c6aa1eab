"""Replaying raw log lines through a serving transformer on loopback, as many tenants, measuring rates and latency."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import zlib
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


def tenant_name(tenants: int, index: int, run: str = "") -> str:
    """The ``index``-th of ``tenants`` tenants of replay ``run`` (runs on one deployment never share a tenant)."""
    return f"bench-{run}{'-' if run else ''}{tenants}-{index:03d}"


def first_lines(path: Path, count: int) -> list[str]:
    """The first ``count`` lines of a plain or gzip log file."""
    return [text for _, text in itertools.islice(open_lines(path), count)]


Request = tuple[int, tuple[list[str], int]]  # its index in the stream, its lines and the stream line of its last


def deal(lines: list[str], tenants: int, session_pattern: str | None, run: str = "") -> dict[str, list[Request]]:
    """Each tenant's requests in order. With ``session_pattern`` every line of a session goes to one tenant (chosen
    by its session id) and lines naming none go round-robin, so each tenant streams whole sessions as a real tenant
    does; without it the stream is dealt round-robin in request-sized chunks. Requests are numbered in stream order
    (by their last line), for pacing."""
    pattern = re.compile(session_pattern) if session_pattern and tenants > 1 else None
    streams: list[list[tuple[int, str]]] = [[] for _ in range(tenants)]
    for position, text in enumerate(lines):
        found = pattern.search(text) if pattern else None
        owner = zlib.crc32(found.group().encode()) if found else position // LINES_PER_REQUEST
        streams[owner % tenants].append((position, text))
    requests = []
    for tenant, stream in enumerate(streams):
        for start in range(0, len(stream), LINES_PER_REQUEST):
            chunk = stream[start : start + LINES_PER_REQUEST]
            requests.append((tenant, [text for _, text in chunk], chunk[-1][0] + 1))
    ordered = sorted(requests, key=lambda request: request[2])
    per_tenant: dict[str, list[Request]] = {tenant_name(tenants, t, run): [] for t in range(tenants)}
    for index, (tenant, chunk, end) in enumerate(ordered):
        per_tenant[tenant_name(tenants, tenant, run)].append((index, (chunk, end)))
    return per_tenant


async def replay(
    url: str,
    model: str,
    lines: list[str],
    tenants: int,
    max_seconds: float,
    rate: float | None = None,
    provisional: int | None = None,
    session_pattern: str | None = None,
    run: str = "",
) -> dict[str, Any]:
    """Send ``lines`` to the transformer at ``url`` as ``tenants`` tenants' raw-line requests for ``model`` (dealt
    by ``deal``, each tenant's in order, at most ``CONCURRENCY`` in flight, no new request after ``max_seconds``),
    then flush every tenant once all have sent their lines (a flush scores all of a tenant's open sessions at once:
    the line requests' latency is measured without them). With ``rate`` (requests/s), the stream's k-th request is
    not sent before k / ``rate`` seconds: an offered load below capacity, at which latency is service time, not
    queueing.
    ``provisional`` asks for provisional decisions of open sessions with that many events; ``session_pattern`` (the
    model's session id regex) measures the time to each session's first decision (``FirstDecisions``); ``run`` names
    the replay in its tenants' names, so that replays on one deployment start from fresh tenants.

    Returns counts, rates (``stream lines/s``: up to the closing flushes) and client latencies (of the line
    requests; the closing flushes' apart), and a ``trace`` array of the line requests in stream order: the last line
    each sent, its latency in ms, the tenant's open windows after it and the sessions its lines name (0 without
    ``session_pattern``): what a request of session windows reads and writes."""
    per_tenant = deal(lines, tenants, session_pattern, run)
    requests = sum(len(stream) for stream in per_tenant.values())
    gate = asyncio.Semaphore(CONCURRENCY)
    latencies: dict[bool, list[float]] = {False: [], True: []}  # of line requests, of the closing flushes
    trace: list[tuple[int, float, int, int]] = []  # per line request: last line, latency ms, open windows, sessions
    pattern = re.compile(session_pattern) if session_pattern else None
    counts = {"requests": 0, "lines": 0, "windows": 0, "errors": 0}
    first = FirstDecisions(session_pattern) if session_pattern else None
    options = {"explain": False, **({"provisional": provisional} if provisional else {})}
    started = time.perf_counter()
    deadline = started + max_seconds
    bar = tqdm(total=requests + tenants, desc=f"{tenants} tenant(s)", unit="req", leave=False)

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
                named = len({found for text in chunk for found in pattern.findall(text)}) if pattern else 0
                trace.append((end, latency * 1000, answer["open_windows"], named))
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
        streamed = time.perf_counter() - started  # every line request answered; the closing flushes follow
        await asyncio.gather(*(send(client, tenant, [], max(reached.values()), flush=True) for tenant in per_tenant))
    bar.close()
    seconds = time.perf_counter() - started
    return {
        **counts,
        "seconds": round(seconds, 2),
        "lines/s": round(counts["lines"] / seconds),
        "stream lines/s": round(counts["lines"] / streamed),
        "windows/s": round(counts["windows"] / seconds, 1),
        "p50 ms": _percentile_ms(latencies[False], 50),
        "p99 ms": _percentile_ms(latencies[False], 99),
        "flush p99 ms": _percentile_ms(latencies[True], 99),
        **(first.summary() if first is not None else {}),
        "trace": np.array(sorted(trace), dtype=np.float64).reshape(-1, 4),
    }


def _percentile_ms(seconds: list[float], q: float) -> float | None:
    """The ``q``-th percentile of ``seconds`` in milliseconds (None when there are none)."""
    return round(float(np.percentile(seconds, q)) * 1000, 1) if seconds else None
