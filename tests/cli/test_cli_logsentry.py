"""`logad train --detector logsentry`, evaluate, detect and `logad kb build|info|drop` as separate processes.

Training, evaluate and one `kb build` run as processes of their own (what one process wrote, another loads); detect
and the other kb commands run the same `main` in this process (each call loads the artifact and opens the knowledge
base anew, as a process would), which spares the ~15 s of imports a process costs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from logad.cli import main
from logad.detectors.logsentry.config import PRESETS
from logad.threshold import KINDS


def logad(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logad", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def synth_tenants(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    assert (
        main(["synth", "--out", str(out), "--blocks", "300", "--anomaly-rate", "0.15", "--tenants", "2", "--seed", "5"])
        == 0
    )
    return out


def in_process(capsys, *args: str) -> tuple[int, str, str]:
    """`logad ARGS` through ``main`` in this process: exit code, stdout, stderr (an uncaught error fails the test,
    as a traceback would)."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def data_args(folder) -> list[str]:
    return ["--logs", str(folder / "HDFS.log"), "--labels", str(folder / "anomaly_label.csv")]


@pytest.fixture(scope="module")
def trained(synth_tenants, tiny_bert_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("logsentry")
    config = folder / "config.yaml"
    config.write_text(
        "detector:\n"
        f"  encoder: {tiny_bert_dir}\n"
        "  max_tokens: 96\n  pretrain_batch_size: 8\n  finetune_batch_size: 16\n  lr: 0.002\n  head_hidden: 16\n"
        "  tenant: tenant-0\n"
        "  pretrain_epochs: 1\n"  # every stage of the method, though the cpu preset skips pre-training
        "  text_form: runs\n"  # the synthetic logs have order-only anomalies, which the preset's counts form drops
        "preset: cpu\n"
    )
    model = folder / "model"
    result = logad(
        "train",
        "--detector",
        "logsentry",
        *data_args(synth_tenants / "tenant-0"),
        "--format",
        "hdfs",
        "--config",
        str(config),
        "--out",
        str(model),
        "--quiet",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return model, json.loads(result.stdout)


def test_train_writes_one_artifact_with_encoders_heads_kb_and_threshold(trained):
    model, printed = trained
    manifest = json.loads((model / "logad.json").read_text())
    assert manifest["detector"] == "logsentry" and manifest["detector_config"]["train_on_distinct"]  # from preset
    assert manifest["threshold"]["kind"] in KINDS and "best F1" in manifest["threshold"]["how"]
    assert {"static", "ewma", "dtpm"} <= set(json.loads((model / "thresholds.json").read_text()))
    files = {path.name for path in (model / "model").iterdir()}
    assert {"retrieval_encoder", "classifier_encoder", "classifier_head.pt", "logsentry.json", "kb.db"} <= files
    state = json.loads((model / "model" / "logsentry.json").read_text())
    assert state["knowledge_base"]["uri"] == "kb.db"  # relative: the artifact can move
    assert state["knowledge_base"]["model_version"] == manifest["model_version"]
    cpu_epochs = PRESETS["cpu"]["finetune_epochs"]
    assert [h["stage"] for h in state["history"]] == ["pretrain"] + ["finetune"] * cpu_epochs  # config over preset
    assert 0.0 <= printed["f1"] <= 1.0 and printed["tp"] + printed["fn"] > 0


def test_evaluate_and_detect_load_the_artifact(trained, synth_tenants, capsys):
    model, printed = trained
    evaluated = logad(
        "evaluate",
        "--model",
        str(model),
        *data_args(synth_tenants / "tenant-0"),
        "--split",
        "chrono:0.8",
        "--json",
        "--quiet",
    )
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    metrics = json.loads(evaluated.stdout)
    # Same test windows and threshold. Truncated synthetic windows repeat with both labels, and Milvus orders exact
    # similarity ties arbitrarily, so the k-NN vote may differ slightly; exact round trips are in the detector tests.
    assert metrics["tp"] + metrics["fn"] == printed["tp"] + printed["fn"]
    assert abs(metrics["f1"] - printed["f1"]) <= 0.2
    code, detected, err = in_process(
        capsys, "detect", "--model", str(model), "--logs", str(synth_tenants / "tenant-0" / "HDFS.log")
    )
    assert code == 0, err[-2000:]
    assert all(json.loads(line)["anomalous"] for line in detected.splitlines())


def test_kb_build_is_idempotent_per_tenant_and_info_and_drop_work(trained, synth_tenants, capsys):
    model, _ = trained
    code, out, _ = in_process(capsys, "kb", "info", "--model", str(model))
    assert code == 0
    before = json.loads(out)
    assert list(before["tenants"]) == ["tenant-0"]
    args = [
        "kb",
        "build",
        "--model",
        str(model),
        *data_args(synth_tenants / "tenant-1"),
        "--tenant",
        "tenant-1",
        "--quiet",
    ]
    first = logad(*args)  # a process of its own; the second build, here, replaces what it wrote
    assert first.returncode == 0, first.stderr[-2000:]
    code, second, err = in_process(capsys, *args)
    assert code == 0, err[-2000:]
    assert json.loads(first.stdout)["tenant_rows"] == json.loads(second)["tenant_rows"] > 0
    info = json.loads(in_process(capsys, "kb", "info", "--model", str(model))[1])
    assert set(info["tenants"]) == {"tenant-0", "tenant-1"}
    assert info["tenants"]["tenant-0"] == before["tenants"]["tenant-0"]
    dropped = json.loads(in_process(capsys, "kb", "drop", "--model", str(model), "--tenant", "tenant-1")[1])
    assert dropped["removed"] == info["tenants"]["tenant-1"]["rows"]
    assert list(json.loads(in_process(capsys, "kb", "info", "--model", str(model))[1])["tenants"]) == ["tenant-0"]


def test_kb_commands_reject_models_without_a_knowledge_base_and_bad_tenants(trained, synth_tenants, tmp_path, capsys):
    model, _ = trained
    bad = in_process(
        capsys, "kb", "build", "--model", str(model), *data_args(synth_tenants / "tenant-1"), "--tenant", 'x" or 1'
    )
    assert bad[0] == 2 and "tenant" in bad[2] and "Traceback" not in bad[2]
    baseline = tmp_path / "baseline"
    trained_baseline = in_process(
        capsys,
        "train",
        "--detector",
        "baseline",
        *data_args(synth_tenants / "tenant-0"),
        "--format",
        "hdfs",
        "--out",
        str(baseline),
        "--quiet",
    )
    assert trained_baseline[0] == 0
    refused = in_process(capsys, "kb", "info", "--model", str(baseline))
    assert refused[0] == 2 and "has no knowledge base" in refused[2]
