"""`logad quickstart`: the main job end to end on the embedded default (synthetic logs, CPU, local files and
processes): the training pipeline, then the model served and called as a tenant would."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from logad.artifact import read_manifest
from logad.cli import main
from logad.cli.common import note
from logad.data.labels import load_session_labels
from logad.data.synth import SynthConfig, generate
from logad.detectors.registry import DEFAULT_DETECTOR, available_detectors
from logad.eval.metrics import classification_metrics
from logad.workflow.local import run_local
from logad.workflow.spec import PipelineParams


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("quickstart", help="synthesise logs, train, evaluate, serve and detect, end to end")
    parser.add_argument("--out", type=Path, default=Path("runs/quickstart"), help="where everything is written")
    parser.add_argument("--detector", default=DEFAULT_DETECTOR, choices=available_detectors())
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
    run_local(args.detector, params, main, note)
    manifest = read_manifest(model_dir)
    note(
        f"2/3 pipeline (prepare, train, evaluate, register) trained {manifest.model_version} on tenant-0 -> "
        f"{model_dir}; test F1 {manifest.metrics['test']['f1']:.3f}"
    )
    other = data_dir / "tenant-1"
    decisions = _serve_and_send(model_dir, manifest.detector, args.out / "serving", other / "HDFS.log")
    labels = load_session_labels(other / "anomaly_label.csv")
    known = [d for d in decisions if d["id"] in labels]
    truth, scores = [labels[d["id"]] for d in known], [d["score"] for d in known]
    metrics = classification_metrics(truth, [d["anomalous"] for d in known], scores)
    static = classification_metrics(truth, [score > manifest.threshold["value"] for score in scores], scores)
    flagged = [d["id"] for d in decisions if d["anomalous"]]
    (args.out / "detections.json").write_text(json.dumps(flagged, indent=1))
    note(
        f"3/3 served the model (KServe predictor + per-tenant transformer on 127.0.0.1) and sent tenant-1's raw "
        f"lines: {len(decisions)} windows, {len(flagged)} anomalous -> {args.out}/detections.json"
    )
    note(
        f"tenant-1 was served with the {manifest.threshold['kind']} threshold: F1 {metrics['f1']:.3f} "
        f"(the static threshold on the same stream: {static['f1']:.3f}); training chose it because "
        f"{manifest.threshold['served_because'].split(': ', 1)[-1]}"
    )
    served = {"kind": manifest.threshold["kind"], "why": manifest.threshold["served_because"]}
    result = {"model": str(model_dir), "train_test": manifest.metrics["test"], "served_threshold": served}
    print(json.dumps(result | {"tenant-1": metrics, "tenant-1 static": static}))
    return 0


def _serve_and_send(model_dir: Path, name: str, work_dir: Path, logs: Path) -> list[dict]:
    """Start predictor + transformer on loopback, send ``logs`` as tenant-1 (flushing at the end), stop them."""
    from logad_serving.client import send_lines
    from logad_serving.launch import LocalDeployment

    state = ["--state", str(work_dir / "tenants.db")]
    with LocalDeployment.create(model_dir, name, work_dir, state) as deployment:
        return send_lines(deployment.transformer.url, name, "tenant-1", logs.read_text().splitlines())
