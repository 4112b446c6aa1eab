"""`logad bench serve`: load through the transformer on loopback (HDFS_2pct lines, 1 and 100 tenants).

A client replays the first lines of HDFS_2pct as requests of raw lines, each tenant's requests in order, at most
``CONCURRENCY`` in flight, bounded in request count and time; the last request of each tenant flushes its open
windows. Measured: lines/s and windows/s, p50/p99 latency, errors (must be 0), the transformer's and predictor's
resident memory, and the size of a tenant's stored state.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import json
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from tqdm import tqdm

from logad.bench.registry import BenchResult, register_scenario
from logad.data.dataset import DataSpec
from logad.data.shared import shared_data_dir
from logad.state import SqliteStateStore
from logad.train.config import TrainConfig
from logad.train.runner import TrainRequest, train_model

TENANT_COUNTS = (1, 100)
LINES_PER_REQUEST = 100
CONCURRENCY = 8
_MIB = 2**20
_COLUMNS = [
    "tenants",
    "requests",
    "lines",
    "windows",
    "seconds",
    "lines/s",
    "windows/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "transformer RSS MiB",
    "RSS growth MiB",
    "state KiB/tenant",
]


@register_scenario("serve")
def serve_scenario(args: argparse.Namespace) -> BenchResult:
    from logad_serving.launch import LocalDeployment  # the serving extra; only this scenario needs it

    data_dir = Path(args.data or shared_data_dir(required=True)) / "hdfs_2pct"
    logs, labels = data_dir / "HDFS_2pct.log.gz", data_dir / "anomaly_label.csv"
    out = Path(args.out) / "serve"
    model = out / "model"
    request = TrainRequest("baseline", logs, DataSpec(format="HDFS").resolved(), model, labels, "chrono:0.8")
    train_model(request, TrainConfig(seed=args.seed))
    max_lines, max_seconds = (20_000, 60.0) if args.quick else (100_000, 300.0)
    lines = _first_lines(logs, max_lines)
    state = out / "state" / "tenants.db"
    deployment = LocalDeployment.create(model, "baseline", out / "servers", ["--state", str(state)])
    rows = []
    with deployment:
        for tenants in TENANT_COUNTS:
            rss_before = _rss(deployment.transformer.process.pid)
            run = asyncio.run(_replay(deployment.transformer.url, lines, tenants, max_seconds))
            names = [_tenant(tenants, i) for i in range(tenants)]
            rows.append(
                {
                    "tenants": tenants,
                    **run,
                    "transformer RSS MiB": round(_rss(deployment.transformer.process.pid) / _MIB, 1),
                    "RSS growth MiB": round((_rss(deployment.transformer.process.pid) - rss_before) / _MIB, 1),
                    "predictor RSS MiB": round(_rss(deployment.predictor.process.pid) / _MIB, 1),
                    "state KiB/tenant": round(_state_bytes(state, names) / len(names) / 1024, 2),
                }
            )
    return BenchResult(
        title=f"Serving load through the transformer (baseline detector, {len(lines):,} HDFS_2pct lines, loopback)",
        columns=_COLUMNS,
        rows=rows,
        meta={"lines_per_request": LINES_PER_REQUEST, "concurrency": CONCURRENCY, "max_seconds": max_seconds},
        notes=[
            f"{LINES_PER_REQUEST} raw lines per request, at most {CONCURRENCY} requests in flight, each tenant's "
            "requests in order; latency is the client's, through transformer (parse, windows, SQLite state "
            "compare-and-set) and predictor (dynamic batching, decision tree).",
            "With 100 tenants the same stream is dealt round-robin in request-sized chunks, so each tenant holds "
            "its own open sessions; state KiB/tenant is the stored JSON document (open windows + threshold) at "
            "the end, after the final flush.",
        ],
    )


def _tenant(tenants: int, index: int) -> str:
    return f"bench-{tenants}-{index:03d}"


def _first_lines(path: Path, count: int) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        return [line.rstrip("\n") for line in itertools.islice(handle, count)]


async def _replay(url: str, lines: list[str], tenants: int, max_seconds: float) -> dict[str, Any]:
    chunks = [lines[i : i + LINES_PER_REQUEST] for i in range(0, len(lines), LINES_PER_REQUEST)]
    per_tenant = {_tenant(tenants, t): chunks[t::tenants] for t in range(tenants)}
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
                    f"{url}/v1/models/baseline:predict",
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


def _rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


def _state_bytes(path: Path, tenants: list[str]) -> int:
    store = SqliteStateStore(path, "baseline")
    try:
        return sum(len(json.dumps(store.get(tenant).data)) for tenant in tenants)
    finally:
        store.close()
