"""`logad register`: make a trained model the current version for a tenant in the model registry."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logad.model_versions import ModelRegistry

DEFAULT_TENANT = "default"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("register", help="make a trained model a tenant's current model version")
    parser.add_argument("--model", type=Path, required=True, help="artifact directory written by `logad train`")
    parser.add_argument("--registry", type=Path, required=True, help="registry folder (local path or volume)")
    parser.add_argument(
        "--tenant", default="", help=f"tenant the model serves (empty: {DEFAULT_TENANT!r}, as in a run without one)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(ModelRegistry(args.registry).register(args.tenant or DEFAULT_TENANT, args.model)))
    return 0
