"""`logad bench serve`: load through the transformer on loopback (HDFS_2pct lines; 1, 10 and 100 tenants; the
baseline and the neural detectors side by side).

For each contender, a client replays the first lines of HDFS_2pct as requests of raw lines, each tenant's requests
in order, at most ``CONCURRENCY`` in flight, bounded in request count and time; the last request of each tenant
flushes its open windows. Measured: lines/s and windows/s, p50/p99 latency (and whether it grows over the stream),
errors (must be 0), the transformer's and predictor's resident memory, and the size of a tenant's stored state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

from logad.bench.common import slug
from logad.bench.latency_figure import write_latency_figure
from logad.bench.replay import CONCURRENCY, LINES_PER_REQUEST, first_lines, replay, tenant_name
from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite.contenders import select_contenders
from logad.bench.suite.models import Fitted, try_fit
from logad.bench.suite.run import SuiteRun
from logad.data.dataset import raw_line_spec
from logad.state import SqliteStateStore, WindowQuery

# The fast baseline and the three neural detectors; --detectors picks others.
SERVED_CONTENDERS = "decision-tree,bertloganom,logsentry,logllm"


@dataclass(frozen=True)
class Run:
    """One replay: ``tenants`` as fast as they are answered (at most CONCURRENCY requests in flight), or ``paced`` at
    PACED_SHARE of the rate the run before reached (latency below saturation, not queueing), asking for provisional
    decisions after ``provisional`` events when set."""

    tenants: int
    paced: bool = False
    provisional: int | None = None


RUNS = (Run(1), Run(1, provisional=5), Run(10), Run(10, paced=True), Run(100), Run(100, paced=True))
PACED_SHARE = 0.5
FLAT_SPAN = 10_000  # lines: latency at the start and at the end of the stream, to see whether it grows
_MIB = 2**20
_COLUMNS = [
    "contender",
    "tenants",
    "offered req/s",
    "provisional",
    "requests",
    "lines",
    "windows",
    "seconds",
    "lines/s",
    "stream lines/s",
    "windows/s",
    "p50 ms",
    "p99 ms",
    "p99 first 10k ms",
    "p99 last 10k ms",
    "sessions/request first 10k",
    "sessions/request last 10k",
    "flush p99 ms",
    "first decision p50 s",
    "first decision p50 lines",
    "decided before flush",
    "errors",
    "transformer RSS MiB",
    "RSS growth MiB",
    "state KiB/tenant",
]


@register_scenario("serve")
def serve_scenario(args: argparse.Namespace) -> BenchResult:
    run = SuiteRun.from_args(args)
    if not args.detectors:
        run.contenders = select_contenders(SERVED_CONTENDERS)
    max_lines, max_seconds = (20_000, 60.0) if args.quick else (100_000, 120.0)
    return served_load(run, max_lines, max_seconds)


def served_load(run: SuiteRun, max_lines: int, max_seconds: float) -> BenchResult:
    """``RUNS`` against each of the run's contenders (the suite's model on its session dataset), fed the first
    ``max_lines`` lines of that dataset's log, each run for at most ``max_seconds``."""
    lines = first_lines(Path(run.sessions.logs), max_lines)
    out = run.out / "serve"
    rows, traces, notes = [], {}, []
    for contender in run.contenders:
        fitted = try_fit(run, contender, run.sessions, notes)
        if fitted is not None:
            served, traced = _serve(fitted, lines, max_seconds, out / slug(contender.name))
            rows += served
            traces |= traced
    figure = write_latency_figure(traces, out / "latency.png", "Served on loopback: latency as sessions open")
    return BenchResult(
        title=f"Serving load through the transformer ({len(lines):,} {run.sessions.name} lines, loopback)",
        columns=_COLUMNS,
        rows=rows,
        meta={
            **run.meta(),
            "lines_per_request": LINES_PER_REQUEST,
            "concurrency": CONCURRENCY,
            "max_seconds": max_seconds,
            "figure": str(figure),
        },
        arrays={f"trace_{i}": trace for i, trace in enumerate(traces.values())},
        notes=[
            f"{LINES_PER_REQUEST} raw lines per request, at most {CONCURRENCY} requests in flight, each tenant's "
            "requests in order, no new request after max_seconds; latency is the client's, through transformer "
            "(parse, windows, SQLite state compare-and-set) and predictor (dynamic batching, the model). Each "
            "contender's model is the suite's (`logad bench suite`, same --out), trained on HDFS_2pct sessions.",
            f"offered req/s: a paced run sends the stream's k-th request no sooner than k / rate seconds, at "
            f"{PACED_SHARE:.0%} of the rate the unpaced run before it reached; the unpaced runs measure capacity and "
            "their latency includes queueing behind the requests in flight. Runs go in table order on one "
            "deployment, so the later ones find the neural detectors' caches warm.",
            "With many tenants each session's lines go to one tenant (chosen by its id), so each tenant streams "
            "whole sessions of its own, as a real tenant does; state KiB/tenant is the stored JSON (the document with "
            "threshold and counters, "
            "plus one row per open window) at the end, after the final flush.",
            "provisional N: the requests ask for provisional decisions of open sessions once they hold N events. "
            "first decision: from the request carrying a session's first line to the first answer deciding on it "
            "(provisional, or its window closed), median over the sessions decided, in seconds and in stream lines; "
            "decided before flush: the share of sessions decided before the closing flush (HDFS sessions stay "
            "open for hours of event time, so without provisional decisions few close during a replay).",
            "p99 first/last 10k: the line requests within the stream's first and last 10,000 lines (see latency.png "
            "for the whole run): flat when the cost of a request does not grow with the tenant's open sessions.",
            *notes,
        ],
    )


def _serve(fitted: Fitted, lines: list[str], max_seconds: float, work: Path) -> tuple[list[dict], dict]:
    """The rows and latency traces of ``RUNS`` against ``fitted`` served on loopback (SQLite state)."""
    from logad_serving.launch import LocalDeployment  # the serving extra; only this scenario needs it

    name, state = fitted.contender.name, work / "state" / "tenants.db"
    shutil.rmtree(state.parent, ignore_errors=True)  # an earlier invocation's tenants would not start fresh
    deployment = LocalDeployment.create(fitted.path, name, work / "servers", ["--state", str(state)])
    rows: list[dict] = []
    traces = {}
    pattern = _session_pattern(fitted)
    with deployment:
        for position, spec in enumerate(RUNS):
            label = f"run{position + 1}"  # fresh tenants: a replay must not start from the state another one left
            rss_before = _rss(deployment.transformer.process.pid)
            rate = rows[-1]["requests"] / rows[-1]["seconds"] * PACED_SHARE if spec.paced else None
            run = asyncio.run(
                replay(
                    deployment.transformer.url,
                    name,
                    lines,
                    spec.tenants,
                    max_seconds,
                    rate,
                    spec.provisional,
                    pattern,
                    label,
                )
            )
            names = [tenant_name(spec.tenants, i, label) for i in range(spec.tenants)]
            trace = run.pop("trace")
            if spec.provisional is None:
                label = f"{name}, {spec.tenants} tenant(s)" + (f", {rate:.0f} req/s offered" if rate else "")
                traces[label] = trace
            rows.append(
                {
                    "contender": name,
                    "tenants": spec.tenants,
                    "offered req/s": round(rate, 1) if rate else None,
                    "provisional": spec.provisional,
                    **run,
                    **_flatness(trace),
                    "transformer RSS MiB": round(_rss(deployment.transformer.process.pid) / _MIB, 1),
                    "RSS growth MiB": round((_rss(deployment.transformer.process.pid) - rss_before) / _MIB, 1),
                    "predictor RSS MiB": round(_rss(deployment.predictor.process.pid) / _MIB, 1),
                    "state KiB/tenant": round(_state_bytes(state, name, names) / len(names) / 1024, 2),
                }
            )
    return rows, traces


def _flatness(trace: np.ndarray) -> dict[str, float | None]:
    """p99 latency of the line requests within the stream's first and last ``FLAT_SPAN`` lines, and the mean number
    of sessions those requests name (the rows a request reads and writes: a request's cost follows it)."""
    ends = trace[:, 0]
    spans = {"first": ends <= FLAT_SPAN, "last": ends > ends.max(initial=0) - FLAT_SPAN}
    found: dict[str, float | None] = {}
    for span, rows in spans.items():
        latencies, named = trace[rows, 1], trace[rows, 3]
        found[f"p99 {span} 10k ms"] = round(float(np.percentile(latencies, 99)), 1) if len(latencies) else None
        found[f"sessions/request {span} 10k"] = round(float(named.mean()), 1) if len(named) else None
    return found


def _session_pattern(fitted: Fitted) -> str | None:
    """The session-id regex of the model's windows (None when they are not sessions)."""
    spec = raw_line_spec(fitted.manifest.data).window_spec()
    return spec.pattern if spec.kind == "session" else None


def _rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


def _state_bytes(path: Path, namespace: str, tenants: list[str]) -> int:
    """The stored JSON of ``tenants``: documents and open-window rows."""
    store = SqliteStateStore(path, namespace)
    try:
        every = WindowQuery(every=True)
        return sum(
            len(json.dumps(store.get(tenant).data)) + len(json.dumps(store.open_windows(tenant, every)))
            for tenant in tenants
        )
    finally:
        store.close()
