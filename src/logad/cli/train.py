"""`logad train`: fit a detector on the training part of a split and write a model artifact."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from logad.cli.common import add_data_arguments, note, optional_text
from logad.config import apply_overrides, config_from_dict, load_config_source
from logad.data.dataset import DataSpec
from logad.detectors.registry import available_detectors
from logad.jobs.train import TrainRequest, train_model
from logad.jobs.train_config import TrainConfig


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a detector and write a model artifact")
    parser.add_argument("--detector", required=True, help=f"one of: {', '.join(available_detectors())}")
    add_data_arguments(parser, format_required=True)
    parser.add_argument("--split", default="chrono:0.8", help="chrono:TRAIN or random:TRAIN:SEED")
    parser.add_argument("--out", type=Path, required=True, help="artifact directory to write")
    parser.add_argument(
        "--config", type=optional_text, help="JSON or YAML run config file, or an inline JSON object (see TrainConfig)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one run-config field (dotted key, YAML value), e.g. detector.skip_stages=[all]; repeatable",
    )
    parser.add_argument(
        "--preset", type=optional_text, help="detector preset, e.g. logsentry's 'cpu' (overrides the config's preset)"
    )
    parser.add_argument(
        "--deepspeed",
        type=optional_text,
        metavar="NAME",
        help="train under DeepSpeed with a shipped config (zero2, zero3, zero2_offload, zero3_offload); needs torchrun",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.deepspeed:
        from logad.train.distributed import use_deepspeed

        use_deepspeed(args.deepspeed)
    data = apply_overrides(load_config_source(args.config) if args.config else {}, args.set)
    config = config_from_dict(TrainConfig, data, "config")
    if args.preset:
        config.preset = args.preset
    request = TrainRequest(
        detector=args.detector,
        logs=args.logs,
        data=DataSpec(format=args.format, window=args.window),
        out=args.out,
        labels=args.labels,
        split=args.split,
        show_progress=not args.quiet,
    )
    with contextlib.redirect_stdout(sys.stderr):  # libraries that print (DeepSpeed's logger) keep off stdout
        manifest = train_model(request, config)
    if manifest is None:  # a helper rank of a distributed run: rank 0 reports and writes the artifact
        return 0
    note(manifest.metrics["read"])
    note(f"static threshold {manifest.threshold['value']:.6g} ({manifest.threshold['how']})")
    note(f"served threshold kind {manifest.threshold['served_because']}")
    print(json.dumps({"model_version": manifest.model_version, "out": str(args.out), **manifest.metrics["test"]}))
    return 0
