"""Arguments and helpers shared by the commands that read logs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from logad.artifact import Manifest
from logad.data.dataset import DataSpec


def optional_path(text: str) -> Path | None:
    """An argparse type: a path, or None for an empty string (workflow parameters pass "" for "not given")."""
    return Path(text) if text else None


def optional_text(text: str) -> str | None:
    """An argparse type: the text, or None when empty."""
    return text or None


def add_data_arguments(parser: argparse.ArgumentParser, format_required: bool) -> None:
    """--logs, --format, --labels and --window, as every data-reading command takes them."""
    parser.add_argument("--logs", type=Path, required=True, help="log file (plain or .gz)")
    parser.add_argument(
        "--format",
        required=format_required,
        type=optional_text,
        help="log format name (hdfs, bgl, thunderbird, ...), a Loghub header string, or sessions-jsonl",
    )
    parser.add_argument("--labels", type=optional_path, help="per-session label CSV (e.g. anomaly_label.csv)")
    parser.add_argument(
        "--window",
        type=optional_text,
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
