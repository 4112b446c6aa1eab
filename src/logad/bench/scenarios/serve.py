"""`logad bench serve`: load through the transformer on loopback (HDFS_2pct lines, 1 and 100 tenants).

A client replays the first lines of HDFS_2pct as requests of raw lines, each tenant's requests in order, at most
``CONCURRENCY`` in flight, bounded in request count and time; the last request of each tenant flushes its open
windows. Measured: lines/s and windows/s, p50/p99 latency, errors (must be 0), the transformer's and predictor's
resident memory, and the size of a tenant's stored state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import psutil

from logad.bench.registry import BenchResult, register_scenario
from logad.bench.replay import CONCURRENCY, LINES_PER_REQUEST, first_lines, replay, tenant_name
from logad.data.dataset import DataSpec
from logad.data.shared import shared_data_dir
from logad.state import SqliteStateStore
from logad.train.config import TrainConfig
from logad.train.runner import TrainRequest, train_model

TENANT_COUNTS = (1, 100)
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
    lines = first_lines(logs, max_lines)
    state = out / "state" / "tenants.db"
    deployment = LocalDeployment.create(model, "baseline", out / "servers", ["--state", str(state)])
    rows = []
    with deployment:
        for tenants in TENANT_COUNTS:
            rss_before = _rss(deployment.transformer.process.pid)
            run = asyncio.run(replay(deployment.transformer.url, "baseline", lines, tenants, max_seconds))
            names = [tenant_name(tenants, i) for i in range(tenants)]
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


def _rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


def _state_bytes(path: Path, tenants: list[str]) -> int:
    store = SqliteStateStore(path, "baseline")
    try:
        return sum(len(json.dumps(store.get(tenant).data)) for tenant in tenants)
    finally:
        store.close()
