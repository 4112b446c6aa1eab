"""The `logad` command: one module per sub-command, each with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys

from logad import __version__
from logad.errors import LogadError

COMMAND_MODULES = (
    "quickstart",
    "prepare",
    "train",
    "evaluate",
    "detect",
    "parse",
    "synth",
    "fetch",
    "kb",
    "register",
    "pipeline",
    "serve",
    "feedback",
    "bench",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="logad", description="Train, evaluate and serve log anomaly detectors.")
    parser.add_argument("--version", action="version", version=f"logad {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"logad.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line on stderr and exit 2, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except LogadError as exc:
        print(f"logad {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"logad {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
