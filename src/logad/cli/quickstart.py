"""`logad quickstart`: the main job end to end on the embedded default (synthetic logs, CPU, local files)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logad.artifact import load_artifact, read_manifest
from logad.cli.common import note
from logad.data.dataset import DataSpec, load_windows
from logad.data.synth import SynthConfig, generate
from logad.eval.scoring import labels_of, metrics_for, score_windows
from logad.pipeline.local import run_local
from logad.pipeline.spec import PipelineParams


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("quickstart", help="synthesise logs, train, evaluate and detect, end to end")
    parser.add_argument("--out", type=Path, default=Path("runs/quickstart"), help="where everything is written")
    parser.add_argument("--detector", default="baseline")
    parser.add_argument("--blocks", type=int, default=3000, help="synthetic HDFS-like blocks per tenant")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    data_dir, workdir = args.out / "data", args.out / "pipeline"
    model_dir = workdir / "model"
    generate(SynthConfig(kind="hdfs", blocks=args.blocks, tenants=2, seed=args.seed), data_dir)
    note(f"1/3 synthetic logs for 2 tenants in {data_dir}")
    train_dir = data_dir / "tenant-0"
    params = PipelineParams(
        logs=str(train_dir / "HDFS.log"),
        format="hdfs",
        labels=str(train_dir / "anomaly_label.csv"),
        tenant="tenant-0",
        workdir=str(workdir),
        registry=str(args.out / "registry"),
    )
    run_local(args.detector, params, note)
    manifest = read_manifest(model_dir)
    note(
        f"2/3 pipeline (prepare, train, evaluate, register) trained {manifest.model_version} on tenant-0 -> "
        f"{model_dir}; test F1 {manifest.metrics['test']['f1']:.3f}"
    )
    other = data_dir / "tenant-1"
    model = load_artifact(model_dir)
    loaded = load_windows(other / "HDFS.log", DataSpec("hdfs"), other / "anomaly_label.csv")
    scores = score_windows(model.detector, loaded.sequences)
    metrics = metrics_for(scores, labels_of(loaded.sequences), model.threshold)
    flagged = [seq.id for seq, s in zip(loaded.sequences, scores, strict=True) if s > model.threshold]
    (args.out / "detections.json").write_text(json.dumps(flagged, indent=1))
    note(
        f"3/3 scored tenant-1's {len(loaded.sequences)} windows: {len(flagged)} anomalous -> {args.out}/detections.json"
    )
    print(json.dumps({"model": str(model_dir), "train_test": manifest.metrics["test"], "tenant-1": metrics}))
    return 0
