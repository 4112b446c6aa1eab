"""`logad prepare`: parse and window a log once into sessions-jsonl (the pipelines' data step)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logad.cli.common import add_data_arguments, note
from logad.config import config_to_dict
from logad.data.dataset import DataSpec, load_windows
from logad.data.prepared import write_source, write_windows


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("prepare", help="window a log into sessions-jsonl for later steps")
    add_data_arguments(parser, format_required=True)
    parser.add_argument("--out", type=Path, required=True, help="sessions-jsonl file to write")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    spec = DataSpec(format=args.format, window=args.window).resolved()
    loaded = load_windows(args.logs, spec, args.labels, not args.quiet)
    count = write_windows(loaded.sequences, args.out)
    write_source(args.out, config_to_dict(spec))
    note(loaded.summary())
    anomalies = sum(seq.label == 1 for seq in loaded.sequences)
    print(json.dumps({"out": str(args.out), "windows": count, "anomalies": anomalies, "unlabelled": loaded.unlabelled}))
    return 0
