"""The CLI contract end to end: synth -> train -> evaluate -> detect, real data, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from logad.cli import main


def logad(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logad", *args], capture_output=True, text=True, timeout=300)


def data_args(folder) -> list[str]:
    """--logs, --format and --labels for a synthetic tenant folder."""
    return ["--logs", str(folder / "HDFS.log"), "--format", "hdfs", "--labels", str(folder / "anomaly_label.csv")]


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--out", str(out), "--blocks", "800", "--anomaly-rate", "0.1", "--seed", "3"]) == 0
    return out / "tenant-0"


@pytest.fixture(scope="module")
def trained(synth_data, tmp_path_factory):
    model = tmp_path_factory.mktemp("model")
    result = logad(
        "train",
        "--detector",
        "baseline",
        *data_args(synth_data),
        "--out",
        str(model),
        "--set",
        "seed=7",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    return model, json.loads(result.stdout)


def test_train_writes_artifact_with_test_metrics(trained):
    model, printed = trained
    manifest = json.loads((model / "logad.json").read_text())
    assert manifest["detector"] == "baseline" and manifest["data"]["window"] == r"session:blk_-?\d+"
    assert manifest["detector_config"]["seed"] == 7  # the run's seed reaches the detector
    assert manifest["metrics"]["test"]["f1"] == printed["f1"] > 0.5
    assert "validation" in manifest["threshold"]["how"]
    assert (model / "preprocess").is_dir() and (model / "model" / "baseline.joblib").is_file()


def test_evaluate_json_with_split_matches_training_test_metrics(trained, synth_data):
    model, printed = trained
    result = logad(
        "evaluate",
        "--model",
        str(model),
        *data_args(synth_data),
        "--split",
        "chrono:0.8",
        "--json",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    for key in ("precision", "recall", "f1", "tp", "fp", "fn", "tn"):
        assert metrics[key] == printed[key]


def test_detect_streams_anomalous_windows(trained, synth_data):
    model, _ = trained
    result = logad("detect", "--model", str(model), "--logs", str(synth_data / "HDFS.log"))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(r["anomalous"] and r["score"] > r["threshold"] for r in rows)
    assert "windows" in result.stderr


def test_quickstart_runs_end_to_end(tmp_path):
    result = logad("quickstart", "--out", str(tmp_path), "--blocks", "600")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["tenant-1"]["n"] == 600 and (tmp_path / "detections.json").is_file()
    served = summary["served_threshold"]
    assert served["why"].startswith(served["kind"]) and f"served with the {served['kind']} threshold" in result.stderr
    assert summary["tenant-1"]["f1"] >= summary["tenant-1 static"]["f1"] - 0.02


def test_real_hdfs_and_bgl(shared_data, tmp_path):
    hdfs = shared_data / "hdfs_2pct"
    result = logad(
        "train",
        "--detector",
        "baseline",
        "--logs",
        str(hdfs / "HDFS_2pct.log.gz"),
        "--format",
        "hdfs",
        "--labels",
        str(hdfs / "anomaly_label.csv"),
        "--split",
        "chrono:0.8",
        "--out",
        str(tmp_path / "h"),
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n"] == 2301
    bgl = shared_data / "loghub_2k" / "BGL" / "BGL_2k.log"
    result = logad(
        "train",
        "--detector",
        "baseline",
        "--logs",
        str(bgl),
        "--format",
        "bgl",
        "--window",
        "fixed:20",
        "--out",
        str(tmp_path / "b"),
        "--quiet",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "hdfz"], "unknown log format 'hdfz'"),
        (["--format", "hdfs", "--window", "fixed:0"], "window spec 'fixed:0'"),
        (["--format", "hdfs", "--split", "chrono:2"], "split spec 'chrono:2'"),
        (["--format", "apache"], "no line of"),
        (["--format", "hdfs", "--detector", "nope"], "unknown detector 'nope'"),
        (["--format", "hdfs", "--labels", "WRONG_LABELS"], "matches none of the"),
    ],
)
def test_bad_input_is_one_clear_line(synth_data, tmp_path, args, message):
    args = [str(tmp_path / "l.csv") if a == "WRONG_LABELS" else a for a in args]
    (tmp_path / "l.csv").write_text("BlockId,Label\nblk_x,Normal\n")
    detector = [] if "--detector" in args else ["--detector", "baseline"]
    result = logad(
        "train",
        *detector,
        "--logs",
        str(synth_data / "HDFS.log"),
        "--out",
        str(tmp_path / "m"),
        "--quiet",
        *args,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_evaluate_refuses_a_folder_that_is_not_a_model(tmp_path, synth_data):
    result = logad("evaluate", "--model", str(tmp_path), "--logs", str(synth_data / "HDFS.log"), "--json")
    assert result.returncode == 2 and "is not a logad model" in result.stderr and "Traceback" not in result.stderr
