"""`logad train --detector bertloganom`, then evaluate with every threshold kind and detect with a stateful one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from logad.cli import main
from logad.threshold import KINDS


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


def test_training_stores_every_threshold_kind_and_chooses_the_served_one(trained):
    manifest = json.loads((trained / "logad.json").read_text())
    threshold = manifest["threshold"]
    assert manifest["detector"] == "bertloganom" and threshold["kind"] in KINDS
    assert threshold["served_because"].startswith(f"{threshold['kind']}:")
    assert "normal validation scores" in threshold["how"], "unsupervised: the quantile of the validation normals"
    assert set(threshold["validation"]["static"]) == {"stable", "level", "scale", "reworded"}
    assert manifest["metrics"]["served_kind"] == threshold["kind"]
    assert (
        manifest["metrics"]["split"]["trained_on"]
        == manifest["metrics"]["split"]["train"] - manifest["metrics"]["split"]["train_anomalies"]
    )  # unsupervised: normal windows only
    states = json.loads((trained / "thresholds.json").read_text())
    assert {kind: state["kind"] for kind, state in states.items()} == {kind: kind for kind in states}
    assert set(states) | set(threshold["not_fitted"]) == set(KINDS)
    assert set(manifest["metrics"]["test_stream"]) == set(states)


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
    assert {"static", "ewma", "dtpm"} <= set(metrics["stream"])
    for kind, result in metrics["stream"].items():
        low, high = result["threshold_range"]
        assert low <= high and result["n"] == metrics["n"], kind
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
