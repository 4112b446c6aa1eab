"""`logad detect`: stream the anomalous windows of a log file as JSON lines."""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from logad.artifact import load_artifact
from logad.cli.common import add_data_arguments, data_spec_for_model, note
from logad.data.dataset import stream_windows
from logad.data.readers import ReadReport
from logad.data.types import LogSequence
from logad.threshold import KINDS, Decision


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("detect", help="print anomalous windows of a log file as JSON lines")
    parser.add_argument("--model", type=Path, required=True, help="artifact directory written by `logad train`")
    add_data_arguments(parser, format_required=False)
    parser.add_argument("--all", action="store_true", help="print every window, not only anomalous ones")
    parser.add_argument("--batch-size", type=int, default=256, help="windows scored together")
    parser.add_argument(
        "--threshold",
        choices=KINDS,
        help="threshold kind, updated window by window in file order (default: the kind training chose to serve)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model = load_artifact(args.model)
    try:
        spec = data_spec_for_model(args, model.manifest)
        report = ReadReport(path=args.logs)
        windows = stream_windows(args.logs, spec, report)
        policy = model.threshold_policy(args.threshold)
        flagged = total = 0
        while batch := list(itertools.islice(windows, args.batch_size)):
            scores = model.detector.score(batch)
            for seq, score in zip(batch, scores, strict=True):
                decision = policy.update(float(score))
                total += 1
                flagged += decision.anomalous
                if decision.anomalous or args.all:
                    print(json.dumps(_window_record(seq, decision)), flush=True)
        note(f"{report.summary()}; {total} windows, {flagged} anomalous ({policy.kind} threshold)")
    finally:
        model.detector.close()
    return 0


def _window_record(seq: LogSequence, decision: Decision) -> dict:
    return {
        "id": seq.id,
        "anomalous": decision.anomalous,
        "score": decision.score,
        "threshold": decision.threshold,
        "events": len(seq),
        "first_line": seq.order,
        "start_time": seq.start_time,
    }
