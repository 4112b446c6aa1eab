"""`logad bench speed`: per contender on HDFS_2pct, training time, loading time, inference rate (windows/s and log
lines/s over the test windows with cold caches) and the process's peak resident memory while loading and scoring."""

from __future__ import annotations

import argparse
import gc
import time

from logad.bench.memory import PeakRss
from logad.bench.registry import BenchResult, register_scenario
from logad.bench.suite.data import split_of
from logad.bench.suite.evaluate import score
from logad.bench.suite.models import fitted_models, loaded
from logad.bench.suite.run import SuiteRun

_MIB = 2**20
_COLUMNS = ["contender", "train s", "load s", "score s", "windows/s", "lines/s", "RSS before MiB", "peak RSS MiB"]


@register_scenario("speed")
def speed_scenario(args: argparse.Namespace) -> BenchResult:
    return speed(SuiteRun.from_args(args))


def speed(run: SuiteRun) -> BenchResult:
    dataset = run.sessions
    test = split_of(dataset).test
    lines = sum(map(len, test))
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
            "every 10 ms while loading and scoring. The serving path (transformer + predictor on loopback) is "
            "measured by `logad bench serve` (baseline detector).",
            *notes,
        ],
    )
