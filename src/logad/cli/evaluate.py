"""`logad evaluate`: score every window of some logs (or the test part of a split) with a trained model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logad.artifact import load_artifact
from logad.cli.common import add_data_arguments, data_spec_for_model, note
from logad.data.dataset import load_windows
from logad.data.splits import SplitSpec, split_sequences
from logad.eval.scoring import labels_of, metrics_for, score_windows
from logad.eval.streaming import stream_metrics

QUALITY_GATE_FAILED = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="measure a trained model on labelled logs")
    parser.add_argument("--model", type=Path, required=True, help="artifact directory written by `logad train`")
    add_data_arguments(parser, format_required=False)
    parser.add_argument("--split", help="score only the test part of this split (chrono:TRAIN or random:TRAIN:SEED)")
    parser.add_argument(
        "--min-f1", type=float, help="quality gate: exit with status 3 when the F1 is below this (pipelines use it)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model = load_artifact(args.model)
    try:
        spec = data_spec_for_model(args, model.manifest)
        loaded = load_windows(args.logs, spec, args.labels, not args.quiet)
        windows = loaded.sequences
        if args.split:
            windows = split_sequences(windows, SplitSpec.parse(args.split), 0.0).test
        scores = score_windows(model.detector, windows, show_progress=not args.quiet)
        metrics = metrics_for(scores, labels_of(windows), model.threshold)
        metrics["stream"] = stream_metrics(windows, scores, labels_of(windows), model.threshold_states)
        metrics["model_version"] = model.manifest.model_version
        note(loaded.summary())
        if args.json:
            print(json.dumps(metrics))
        else:
            for key in ("precision", "recall", "f1", "tp", "fp", "fn", "tn", "roc_auc", "pr_auc", "threshold"):
                print(f"{key:>10}: {metrics.get(key)}")
            for kind, result in metrics["stream"].items():
                print(
                    f"{kind:>10}: f1 {result['f1']:.4f}  precision {result['precision']:.4f}  "
                    f"recall {result['recall']:.4f}  (test windows streamed in time order)"
                )
    finally:
        model.detector.close()
    if args.min_f1 is not None and not metrics["f1"] >= args.min_f1:
        note(f"logad evaluate: quality gate failed: F1 {metrics['f1']:.4f} is below --min-f1 {args.min_f1}")
        return QUALITY_GATE_FAILED
    return 0
