"""`logad bench load`: data loading throughput (lines/s) and peak memory on HDFS_2pct."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from logad.bench.memory import PeakRss
from logad.bench.scenario_table import BenchResult, register_scenario
from logad.data.formats import LogFormat, get_format
from logad.data.readers import ReadReport, read_records
from logad.data.shared import shared_data_dir
from logad.data.types import LogRecord
from logad.data.windows import WindowSpec, make_windows

_MIB = 2**20
_COLUMNS = ["stage", "lines", "records / windows", "seconds", "lines/s", "RSS before MiB", "peak RSS MiB"]


@register_scenario("load")
def load_scenario(args: argparse.Namespace) -> BenchResult:
    """Read+parse, then read+parse+session windowing of HDFS_2pct: lines/s and peak RSS of each stage."""
    path = Path(args.data or shared_data_dir(required=True)) / "hdfs_2pct" / "HDFS_2pct.log.gz"
    fmt = get_format("hdfs")
    spec = WindowSpec.parse(fmt.default_window or "")
    stages: dict[str, Callable[[Iterable[LogRecord]], int]] = {
        "read + parse": lambda records: sum(1 for _ in records),
        "read + parse + session windows": lambda records: len(make_windows(records, spec)),
    }
    rows = [_measure(name, path, fmt, consume) for name, consume in stages.items()]
    return BenchResult(
        title=f"Data loading on {path.name} (gzip, format hdfs, window {spec})",
        columns=_COLUMNS,
        rows=rows,
        meta={"file": str(path), "format": fmt.name, "window": str(spec)},
        notes=[
            "lines/s: physical lines of the gzip file per second of wall time on one core, decompression, "
            "UTF-8 decoding, header regex, timestamp and record creation included.",
            "RSS: resident memory of the whole process (interpreter and libraries included), sampled every "
            "10 ms; the session stage holds every window in memory until the end of the file.",
        ],
    )


def _measure(name: str, path: Path, fmt: LogFormat, consume: Callable[[Iterable[LogRecord]], int]) -> dict[str, Any]:
    """Run one stage over a fresh reader and time it; a copy of ``fmt`` starts with an empty timestamp cache."""
    fmt = dataclasses.replace(fmt, timestamp=dataclasses.replace(fmt.timestamp) if fmt.timestamp else None)
    report = ReadReport(path)
    reader = read_records(path, fmt, report)
    records = tqdm(reader, desc=name, unit=" lines", unit_scale=True, leave=False, disable=None)
    gc.collect()
    with PeakRss() as memory:
        started = time.perf_counter()
        produced = consume(records)
        seconds = time.perf_counter() - started
    return {
        "stage": name,
        "lines": report.lines,
        "records / windows": produced,
        "seconds": round(seconds, 2),
        "lines/s": round(report.lines / seconds),
        "RSS before MiB": round(memory.before / _MIB, 1),
        "peak RSS MiB": round(memory.peak / _MIB, 1),
    }
