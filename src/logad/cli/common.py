"""Arguments and helpers shared by the commands that read logs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from logad.artifact import Manifest
from logad.data.dataset import DataSpec


def add_data_arguments(parser: argparse.ArgumentParser, format_required: bool) -> None:
    """--logs, --format, --labels and --window, as every data-reading command takes them."""
    parser.add_argument("--logs", type=Path, required=True, help="log file (plain or .gz)")
    parser.add_argument(
        "--format",
        required=format_required,
        help="log format name (hdfs, bgl, thunderbird, ...), a Loghub header string, or sessions-jsonl",
    )
    parser.add_argument("--labels", type=Path, help="per-session label CSV (e.g. anomaly_label.csv)")
    parser.add_argument(
        "--window",
        help="session:REGEX | fixed:N | sliding:N:STEP | time:SECONDS:STEP (default: the format's)",
    )


def data_spec_for_model(args: argparse.Namespace, manifest: Manifest) -> DataSpec:
    """The model's data spec, with --format and --window from the command line taking precedence."""
    stored = manifest.data
    return DataSpec(
        format=args.format or stored["format"],
        window=args.window or stored.get("window"),
        max_len=stored.get("max_len"),
    )


def note(message: str) -> None:
    """A progress or summary line for people, on stderr so stdout stays machine-readable."""
    print(message, file=sys.stderr)
