"""`logad bench SCENARIO`: run a benchmark scenario, print its table, write JSON and Markdown."""

from __future__ import annotations

import argparse
from pathlib import Path

from logad.bench.report import machine_facts, markdown_table, write_result
from logad.bench.scenario_table import available_scenarios, get_scenario


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark scenario on real data")
    parser.add_argument("scenario", choices=available_scenarios(), help="which scenario to run")
    parser.add_argument("--data", type=Path, default=None, help="shared data folder (default: ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("runs/bench"), help="where JSON and Markdown go")
    parser.add_argument("--seed", type=int, default=0, help="seed of the training runs and samples (default: 0)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a fast check")
    parser.add_argument("--preset", default="cpu", help="detector preset for scenarios that train (default: cpu)")
    parser.add_argument(
        "--detectors",
        default=None,
        help="suite scenarios: contenders to run, comma-separated contender or detector names, e.g. "
        "'baseline,deeplog' or 'decision-tree,logsentry' (default: all)",
    )
    parser.add_argument(
        "--retrain", action="store_true", help="suite scenarios: train again instead of reusing OUT/models"
    )
    parser.add_argument(
        "--streams",
        default="synthetic,real",
        help="drift scenario: its streams, comma-separated: 'synthetic' (trains every contender on a synthetic log "
        "too), 'real' (HDFS_2pct stable, reworded and level-shifted) (default: both)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    facts = machine_facts()
    result = get_scenario(args.scenario)(args)
    print(markdown_table(result))
    json_path, md_path = write_result(result, args.out, args.scenario, facts)
    print(f"wrote {json_path} and {md_path}")
    return 0
