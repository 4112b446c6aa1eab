"""`logad bench load`: data loading throughput (lines/s) and peak memory on HDFS_2pct."""

from __future__ import annotations

import argparse
import resource
import time

from logad.bench.registry import BenchResult, register_scenario
from logad.data.formats import get_format
from logad.data.readers import ReadReport, read_records
from logad.data.shared import shared_data_dir
from logad.data.windows import WindowSpec, make_windows


@register_scenario("load")
def load_scenario(args: argparse.Namespace) -> BenchResult:
    """Read+parse, then read+parse+session windowing: wall time and the process's peak RSS after each."""
    path = (args.data or shared_data_dir(required=True)) / "hdfs_2pct" / "HDFS_2pct.log.gz"
    fmt, spec = get_format("hdfs"), WindowSpec.parse(r"session:blk_-?\d+")
    stages = {
        "read + parse": lambda report: sum(1 for _ in read_records(path, fmt, report)),
        "read + parse + session windows": lambda report: len(make_windows(read_records(path, fmt, report), spec)),
    }
    rows = []
    for name, stage in stages.items():
        report = ReadReport(path=path)
        started = time.perf_counter()
        produced = stage(report)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        rows.append(
            {
                "stage": name,
                "lines": report.lines,
                "output": produced,
                "seconds": round(seconds, 2),
                "lines/s": report.lines / seconds,
                "peak RSS MiB": peak / 2**20,
            }
        )
    return BenchResult(
        "Data loading on HDFS_2pct (gzip, 222,579 lines)",
        list(rows[0]),
        rows,
        notes=["peak RSS: whole process high-water mark (interpreter and libraries included), cumulative."],
    )
