"""`logad bench speed`: per contender on HDFS_2pct, training time, loading time, inference rate (windows/s and log
lines/s over the test windows with cold caches) and the process's peak resident memory while loading and scoring;
then the same model behind `logad serve`'s predictor and transformer on loopback, fed raw log lines by tenants."""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from pathlib import Path
from typing import Any

from logad.bench.memory import PeakRss
from logad.bench.replay import CONCURRENCY, LINES_PER_REQUEST, first_lines, replay
from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.suite.data import split_of
from logad.bench.suite.evaluate import score
from logad.bench.suite.models import Fitted, fitted_models, loaded
from logad.bench.suite.run import SuiteRun

_MIB = 2**20
_COLUMNS = ["contender", "train s", "load s", "score s", "windows/s", "lines/s", "RSS before MiB", "peak RSS MiB",
            "served lines/s", "served windows/s", "served p50 ms", "served p99 ms", "served errors"]  # fmt: skip
SERVED_LINES, SERVED_TENANTS, SERVED_SECONDS = 10_000, 10, 30.0


@register_scenario("speed")
def speed_scenario(args: argparse.Namespace) -> BenchResult:
    return speed(SuiteRun.from_args(args))


def speed(run: SuiteRun) -> BenchResult:
    dataset = run.sessions
    test = split_of(dataset).test
    lines = sum(map(len, test))
    raw_lines = first_lines(dataset.logs, SERVED_LINES)
    rows, notes = [], []
    for fitted in fitted_models(run, dataset, notes):
        gc.collect()
        with PeakRss() as memory:
            started = time.perf_counter()
            with loaded(fitted) as model:
                load_seconds = time.perf_counter() - started
                started = time.perf_counter()
                score(model, test)
                seconds = time.perf_counter() - started
        rows.append(
            {
                "contender": fitted.contender.name,
                "train s": fitted.train_seconds,
                "load s": round(load_seconds, 2),
                "score s": round(seconds, 2),
                "windows/s": round(len(test) / seconds, 1),
                "lines/s": round(lines / seconds),
                "RSS before MiB": round(memory.before / _MIB, 1),
                "peak RSS MiB": round(memory.peak / _MIB, 1),
                **_served(fitted, raw_lines, run.out / "speed-serving" / fitted.contender.name),
            }
        )
    return BenchResult(
        title=f"Speed on {dataset.name}: training, loading, scoring {len(test):,} test windows (preset {run.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={**run.meta(), "dataset": dataset.name, "test_windows": len(test), "test_lines": lines},
        notes=[
            "Scoring: the freshly loaded model (so LogSentry's and LogLLM's per-text caches start empty, as after "
            "`clear_caches`) scores every test window once in batches of 512, one process; repeated texts within "
            "the test part are computed once. train s is from the run that trained the cached model. RSS is the "
            "whole process (interpreter, libraries, earlier contenders' freed memory the allocator keeps) sampled "
            "every 10 ms while loading and scoring.",
            f"served: the model behind the predictor and transformer servers on loopback (SQLite tenant state), "
            f"fed the first {SERVED_LINES:,} raw lines of the log by {SERVED_TENANTS} tenants in requests of "
            f"{LINES_PER_REQUEST} lines, at most {CONCURRENCY} in flight, no new request after {SERVED_SECONDS:g} s; "
            "rates count the lines and closed windows answered, latency is the client's. `logad bench serve` "
            "measures 1 and 100 tenants at length for the baseline.",
            *notes,
        ],
    )


def _served(fitted: Fitted, lines: list[str], work: Path) -> dict[str, Any]:
    """Rates, latency and errors of ``fitted`` served on loopback, fed ``lines`` by ``SERVED_TENANTS`` tenants."""
    from logad_serving.launch import LocalDeployment  # the serving extra; only the serving rows need it

    name = fitted.contender.name
    deployment = LocalDeployment.create(fitted.path, name, work, ["--state", str(work / "tenants.db")])
    with deployment:
        run = asyncio.run(replay(deployment.transformer.url, name, lines, SERVED_TENANTS, SERVED_SECONDS))
    return {
        "served lines/s": run["lines/s"],
        "served windows/s": run["windows/s"],
        "served p50 ms": run["p50 ms"],
        "served p99 ms": run["p99 ms"],
        "served errors": run["errors"],
    }
