"""`logad pipeline run-local`: the same DAG as the Argo templates, run here on synthetic logs, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logad.cli import main
from logad.model_versions import ModelRegistry


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--out", str(out), "--blocks", "400", "--anomaly-rate", "0.1", "--seed", "4"]) == 0
    return out / "tenant-0"


def _run(synth, workdir, *extra: str) -> int:
    data = ["--logs", str(synth / "HDFS.log"), "--format", "hdfs", "--labels", str(synth / "anomaly_label.csv")]
    return main(["pipeline", "run-local", "--detector", "baseline", *data, "--workdir", str(workdir), *extra])


def test_the_whole_dag_runs_and_registers_the_model(synth, tmp_path, capsys):
    registry = tmp_path / "registry"
    assert _run(synth, tmp_path / "run", "--registry", str(registry), "--tenant", "team-a", "--min-f1", "0.5") == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [step["step"] for step in printed["steps"]] == ["prepare", "train", "evaluate", "register"]
    assert all(step["status"] == 0 for step in printed["steps"])
    record = json.loads((tmp_path / "run" / "pipeline.json").read_text())
    assert record["steps"] == printed["steps"]
    evaluated = json.loads(Path(printed["steps"][2]["output"]).read_text())  # each step's JSON result is kept
    assert evaluated["f1"] >= 0.5
    current = ModelRegistry(registry).current("team-a")
    manifest = json.loads((tmp_path / "run" / "model" / "logad.json").read_text())
    assert current["model_version"] == manifest["model_version"] and current["detector"] == "baseline"
    # Prepared windows split like the original log: the pipeline's test F1 is the direct training's.
    direct = tmp_path / "direct"
    data = ["--logs", str(synth / "HDFS.log"), "--format", "hdfs", "--labels", str(synth / "anomaly_label.csv")]
    assert main(["train", "--detector", "baseline", *data, "--out", str(direct), "--quiet"]) == 0
    direct_test = json.loads((direct / "logad.json").read_text())["metrics"]["test"]
    assert manifest["metrics"]["test"]["f1"] == pytest.approx(direct_test["f1"])
    assert manifest["metrics"]["test"]["n"] == direct_test["n"]


def test_a_run_without_a_tenant_registers_under_the_default_one(synth, tmp_path):
    """What a cluster run without a tenant does before its roll-out task is skipped: its steps get an empty tenant,
    and the model is registered for the registry's default tenant."""
    registry = tmp_path / "registry"
    assert _run(synth, tmp_path / "run", "--registry", str(registry), "--tenant", "") == 0
    assert ModelRegistry(registry).current("default")["detector"] == "baseline"


def test_a_failing_step_stops_the_dag_and_names_the_step(tmp_path, capsys):
    logs = tmp_path / "unlabelled.log"
    logs.write_text("081109 203615 148 INFO dfs.DataNode$PacketResponder: Received block blk_1 of size 1\n" * 20)
    status = main(
        [
            "pipeline",
            "run-local",
            "--detector",
            "baseline",
            "--logs",
            str(logs),
            "--format",
            "hdfs",
            "--workdir",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2 and "step 'train' failed" in err and "Traceback" not in err
    steps = json.loads((tmp_path / "run" / "pipeline.json").read_text())["steps"]
    assert [(step["step"], step["status"]) for step in steps] == [("prepare", 0), ("train", 2)]


def test_evaluate_quality_gate_fails_with_status_3(synth, tmp_path, capsys):
    model = tmp_path / "model"
    data = ["--logs", str(synth / "HDFS.log"), "--format", "hdfs", "--labels", str(synth / "anomaly_label.csv")]
    assert main(["train", "--detector", "baseline", *data, "--out", str(model), "--quiet"]) == 0
    assert main(["evaluate", "--model", str(model), *data[:2], *data[4:], "--json", "--quiet", "--min-f1", "0"]) == 0
    assert main(["evaluate", "--model", str(model), *data[:2], *data[4:], "--json", "--quiet", "--min-f1", "1.5"]) == 3
    assert "quality gate failed" in capsys.readouterr().err


def test_bad_parameters_and_tenants_are_refused(synth, tmp_path, capsys):
    assert _run(synth, tmp_path / "run", "--min-f1", "2") == 2
    assert "min_f1" in capsys.readouterr().err
    assert main(["register", "--model", str(tmp_path), "--registry", str(tmp_path / "r"), "--tenant", "../x"]) == 2
    assert "tenant name" in capsys.readouterr().err
