"""`logad bench logsentry`: LogSentry on HDFS_2pct (session windows, chrono 0.8): ablations, beta/k sweeps,
few-label runs, training and inference speed, knowledge-base search latency."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from logad.artifact import load_artifact
from logad.bench.common import Dataset, baseline_metrics, slug
from logad.bench.scenario_table import BenchResult, register_scenario
from logad.data.dataset import DataSpec, load_windows
from logad.data.shared import shared_data_dir
from logad.data.splits import DataSplit, SplitSpec, split_sequences
from logad.data.types import LogSequence
from logad.detectors.logsentry import LogSentryDetector
from logad.detectors.logsentry.retrieval import fuse
from logad.eval.metrics import classification_metrics
from logad.eval.scoring import labels_of
from logad.jobs.train import TrainRequest, detector_config_for, train_model
from logad.jobs.train_config import TrainConfig
from logad.kb import knn_probability
from logad.threshold.selection import choose_threshold

SPLIT = "chrono:0.8"
BETAS = (0.0, 0.25, 0.5, 0.68, 0.75, 1.0)
KS = (1, 5, 20, 100)
DEFAULT_RUN = "default"  # the preset as shipped
_COLUMNS = ["run", "variant", "train labels", "beta", "k", "precision", "recall", "f1", "roc_auc", "threshold"]


@dataclass
class Components:
    """What a trained model says about one split part: p_model and the k_max nearest neighbours' votes."""

    p_model: np.ndarray
    similarities: np.ndarray
    neighbour_labels: np.ndarray
    neighbour_windows: np.ndarray
    labels: np.ndarray

    def scores(self, beta: float, k: int, temperature: float) -> np.ndarray:
        p_knn = knn_probability(
            self.similarities[:, :k], self.neighbour_labels[:, :k], temperature, self.neighbour_windows[:, :k]
        )
        return fuse(self.p_model, p_knn, beta)


@register_scenario("logsentry")
def logsentry_scenario(args: argparse.Namespace) -> BenchResult:
    data_dir = Path(args.data or shared_data_dir(required=True)) / "hdfs_2pct"
    logs, label_file = data_dir / "HDFS_2pct.log.gz", data_dir / "anomaly_label.csv"
    spec = DataSpec(format="HDFS").resolved()
    split = split_sequences(load_windows(logs, spec, label_file, False).sequences, SplitSpec.parse(SPLIT), 0.1)
    runs: dict[str, dict[str, Any]] = {DEFAULT_RUN: {}}
    if not args.quick:
        runs |= {
            **pretraining_ablation(args.preset),
            "1% labels": {"label_fraction": 0.01},
            "10% labels": {"label_fraction": 0.1},
        }
    rows, speed = [_baseline_row(args, logs, label_file, spec)], {}
    for name, overrides in runs.items():
        out = Path(args.out) / "logsentry-models" / run_folder(name)
        request = TrainRequest("logsentry", logs, spec, out, label_file, SPLIT, show_progress=True)
        manifest = train_model(request, TrainConfig(detector=overrides, preset=args.preset, seed=args.seed))
        model = load_artifact(out)
        detector: LogSentryDetector = model.detector
        try:
            if name == DEFAULT_RUN:
                speed = _speed(detector, split.test)
            rows += _rows(name, detector, split, overrides.get("label_fraction", 1.0))
            rows.append(_served_row(name, manifest.metrics, overrides.get("label_fraction", 1.0)))
        finally:
            detector.close()
        speed.setdefault("epochs", {})[name] = [stats.__dict__ for stats in detector.history]
        speed.setdefault("train_seconds", {})[name] = manifest.metrics["train_seconds"]
    return BenchResult(
        title=f"LogSentry on HDFS_2pct (session windows, {SPLIT}, preset {args.preset})",
        columns=_COLUMNS,
        rows=rows,
        meta={
            "preset": args.preset,
            "split": SPLIT,
            "speed": speed,
            "test_windows": len(split.test),
            "test_anomalies": int((labels_of(split.test) == 1).sum()),
        },
        notes=_speed_notes(speed),
    )


def run_folder(run: str) -> str:
    """A run's model folder name: the benchmarks' ``slug`` with % as pct ("10% labels" -> "10pct-labels")."""
    return slug(run.replace("%", "pct"))


def pretraining_ablation(preset: str | None) -> dict[str, dict[str, Any]]:
    """The run that flips the preset's contrastive pre-training: off where it pre-trains, one epoch where not."""
    if detector_config_for(LogSentryDetector, preset, {}).pretrain_epochs:
        return {"no pre-training": {"pretrain_epochs": 0}}
    return {"with pre-training (1 epoch)": {"pretrain_epochs": 1}}


def _rows(run: str, detector: LogSentryDetector, split: DataSplit, label_fraction: float) -> list[dict[str, Any]]:
    """The run's ablation rows (and, for the default run, the beta and k sweeps); thresholds chosen on validation."""
    cfg = detector.config
    validation, test = (_components(detector, part, max(KS)) for part in (split.validation, split.test))
    labels = f"{label_fraction:.0%}"
    variants = [
        ("classifier only (p_model)", 1.0, cfg.k),
        ("k-NN vote only (p_knn)", 0.0, cfg.k),
        ("classifier + retrieval", cfg.beta, cfg.k),
    ]
    if run == DEFAULT_RUN:
        variants += [("beta sweep", beta, cfg.k) for beta in BETAS if beta not in (0.0, 1.0, cfg.beta)]
        variants += [("k sweep", cfg.beta, k) for k in KS if k != cfg.k]
    rows = []
    for variant, beta, k in variants:
        val_scores = validation.scores(beta, k, cfg.knn_temperature)
        choice = choose_threshold(val_scores, validation.labels, default=0.5)
        test_scores = test.scores(beta, k, cfg.knn_temperature)
        metrics = classification_metrics(test.labels, test_scores > choice.value, test_scores)
        rows.append(
            {
                "run": run,
                "variant": variant,
                "train labels": labels,
                "beta": beta,
                "k": k,
                "precision": metrics["precision"],
                "recall": metrics["recall"],
                "f1": metrics["f1"],
                "roc_auc": metrics["roc_auc"],
                "threshold": choice.value,
            }
        )
    return rows


def _components(detector: LogSentryDetector, windows: list[LogSequence], k: int) -> Components:
    parts = detector.score_components(windows, detector.config.tenant, k)
    hits, rows = parts["hits"]
    return Components(
        parts["p_model"], hits.similarities[rows], hits.labels[rows], hits.windows[rows], labels_of(windows)
    )


def _speed(detector: LogSentryDetector, test: list[LogSequence]) -> dict[str, Any]:
    """Cold-cache scoring rate of the test windows with and without retrieval, and one batch's KB search time."""
    detector.clear_caches()
    started = time.perf_counter()
    detector.score_components(test, detector.config.tenant, 0)
    without = time.perf_counter() - started
    detector.clear_caches()
    started = time.perf_counter()
    detector.score(test)
    with_retrieval = time.perf_counter() - started
    queries = detector.embeddings_of(test[:100])
    started = time.perf_counter()
    detector.knowledge_base().search(detector.config.tenant, queries, detector.config.k)
    search = time.perf_counter() - started
    return {
        "test_windows": len(test),
        "distinct_test_texts": detector.distinct_texts(test),
        "seconds_without_retrieval": round(without, 2),
        "seconds_with_retrieval": round(with_retrieval, 2),
        "windows_per_second_without_retrieval": round(len(test) / without, 1),
        "windows_per_second_with_retrieval": round(len(test) / with_retrieval, 1),
        "kb_search_seconds_100_queries": round(search, 3),
        "kb_rows": detector.knowledge_base().count(),
    }


def _served_row(run: str, metrics: dict[str, Any], label_fraction: float) -> dict[str, Any]:
    """The run's model as served: the threshold kind training chose, on the test windows streamed in time order."""
    served = metrics["served_kind"]
    stream = metrics["test_stream"][served]
    return {
        "run": run,
        "variant": f"as served ({served} threshold, test streamed in time order)",
        "train labels": f"{label_fraction:.0%}",
        "precision": stream["precision"],
        "recall": stream["recall"],
        "f1": stream["f1"],
        "roc_auc": stream["roc_auc"],
    }


def _baseline_row(args: argparse.Namespace, logs: Path, label_file: Path, spec: DataSpec) -> dict[str, Any]:
    out = Path(args.out) / "logsentry-models" / "baseline-decision-tree"
    test = baseline_metrics(Dataset("HDFS_2pct", logs, spec, label_file), SPLIT, out, args.seed)["test"]
    return {
        "run": "reference",
        "variant": "baseline decision tree (event counts)",
        "train labels": "100%",
        "precision": test["precision"],
        "recall": test["recall"],
        "f1": test["f1"],
        "threshold": test["threshold"],
    }


def _speed_notes(speed: dict[str, Any]) -> list[str]:
    notes = [
        "Thresholds: for every row, the best-F1 threshold on the validation windows (last 10% of the "
        "training part); F1 is on the test windows (last 20%)."
    ]
    if "test_windows" in speed:
        notes.append(
            f"Inference, cold caches, {speed['test_windows']} test windows ({speed['distinct_test_texts']} distinct "
            f"texts): {speed['windows_per_second_without_retrieval']} windows/s without retrieval, "
            f"{speed['windows_per_second_with_retrieval']} with (retrieval adds "
            f"{speed['seconds_with_retrieval'] - speed['seconds_without_retrieval']:.1f} s: a second encoder pass "
            f"plus the search). KB search, one batch of 100 queries over {speed['kb_rows']} rows: "
            f"{speed['kb_search_seconds_100_queries']} s."
        )
    for run, epochs in speed.get("epochs", {}).items():
        per_stage = ", ".join(
            f"{e['stage']} {e['epoch']}: {e['seconds']:.0f} s / {e['examples']} examples" for e in epochs
        )
        notes.append(f"Training time per epoch ({run}): {per_stage}.")
    return notes
