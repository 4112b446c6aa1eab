"""`logad train --detector bertloganom`, then evaluate with every threshold kind and detect with a stateful one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from logad.cli import main


def logad(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logad", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def drifting(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    assert (
        main(
            [
                "synth",
                "--out",
                str(out),
                "--blocks",
                "600",
                "--anomaly-rate",
                "0.05",
                "--drift-at",
                "0.75",
                "--seed",
                "2",
            ]
        )
        == 0
    )
    return out / "tenant-0"


@pytest.fixture(scope="module")
def trained(drifting, tmp_path_factory):
    model = tmp_path_factory.mktemp("bla") / "model"
    result = logad(
        "train",
        "--detector",
        "bertloganom",
        "--preset",
        "tiny",
        "--logs",
        str(drifting / "HDFS.log"),
        "--format",
        "hdfs",
        "--labels",
        str(drifting / "anomaly_label.csv"),
        "--out",
        str(model),
        "--quiet",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return model


def test_training_stores_every_threshold_policy(trained):
    manifest = json.loads((trained / "logad.json").read_text())
    assert manifest["detector"] == "bertloganom" and manifest["threshold"]["kind"] == "dtpm"
    assert (
        manifest["metrics"]["split"]["trained_on"]
        == manifest["metrics"]["split"]["train"] - manifest["metrics"]["split"]["train_anomalies"]
    )  # unsupervised: normal windows only
    states = json.loads((trained / "thresholds.json").read_text())
    assert {kind: state["kind"] for kind, state in states.items()} == {
        "static": "static",
        "ewma": "ewma",
        "dtpm": "dtpm",
    }
    assert set(manifest["metrics"]["test_stream"]) == {"static", "ewma", "dtpm"}


def test_evaluate_reports_each_threshold_kind(trained, drifting):
    result = logad(
        "evaluate",
        "--model",
        str(trained),
        "--logs",
        str(drifting / "HDFS.log"),
        "--labels",
        str(drifting / "anomaly_label.csv"),
        "--split",
        "chrono:0.8",
        "--json",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads(result.stdout)
    assert set(metrics["stream"]) == {"static", "ewma", "dtpm"}
    low, high = metrics["stream"]["ewma"]["threshold_range"]
    assert low < high  # the EWMA threshold moved while the test windows streamed through it
    assert metrics["stream"]["static"]["threshold_range"] == [metrics["threshold"]] * 2


def test_detect_applies_the_chosen_policy_window_by_window(trained, drifting):
    result = logad(
        "detect", "--model", str(trained), "--logs", str(drifting / "HDFS.log"), "--threshold", "ewma", "--all"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len({row["threshold"] for row in rows}) > 1
    assert all(row["anomalous"] == (row["score"] > row["threshold"]) for row in rows)
    assert "ewma threshold" in result.stderr
