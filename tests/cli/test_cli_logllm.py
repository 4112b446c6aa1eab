"""`logad train --detector logllm` (tiny models), then evaluate and detect, and training again (resuming).

Training and evaluate run as processes of their own (the artifact one process wrote loads in another); detect and
the second training run `main` in this process (each call loads the artifact or the checkpoints from disk anew),
which spares the ~15 s of imports a process costs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from logad.cli import main


def logad(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logad", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--out", str(out), "--blocks", "200", "--anomaly-rate", "0.15", "--seed", "3"]) == 0
    return out


def test_train_evaluate_detect_and_resume(synth, tiny_llama_dir, tiny_bert64_dir, tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(
        "detector:\n"
        f"  llm: {tiny_llama_dir}\n  encoder: {tiny_bert64_dir}\n"
        "  batch_size: 8\n  micro_batch_size: 4\n  max_message_tokens: 24\n"
        "  llm_stage: {lr: 0.005, max_examples: 16}\n"
        "  all_stage: {lr: 0.002, epochs: 1, max_examples: 32}\n"
        "preset: cpu\n"
    )
    data = ["--logs", str(synth / "tenant-0" / "HDFS.log"), "--labels", str(synth / "tenant-0" / "anomaly_label.csv")]
    model = tmp_path / "model"
    train = ["train", "--detector", "logllm", *data, "--format", "hdfs", "--config", str(config), "--out", str(model)]
    trained = logad(*train, "--quiet")
    assert trained.returncode == 0, trained.stderr[-3000:]
    printed = json.loads(trained.stdout)
    manifest = json.loads((model / "logad.json").read_text())
    assert manifest["detector"] == "logllm" and manifest["detector_config"]["train_on_distinct"]  # from the preset
    assert {path.name for path in (model / "model").iterdir()} == {
        "llm_adapter",
        "encoder_adapter",
        "projector.pt",
        "logllm.json",
        *(f"{name}.{ext}" for name in ("warm_answers", "warm_messages") for ext in ("json", "npz")),
    }
    evaluated = logad("evaluate", "--model", str(model), *data, "--split", "chrono:0.8", "--json", "--quiet")
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    metrics = json.loads(evaluated.stdout)
    assert metrics["f1"] == pytest.approx(printed["f1"], abs=1e-6) and metrics["tp"] == printed["tp"]
    capsys.readouterr()
    assert main(["detect", "--model", str(model), "--logs", str(synth / "tenant-0" / "HDFS.log"), "--all"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and all(0.0 <= line["score"] <= 1.0 for line in lines)
    # Training again with the same config and data resumes every stage from its checkpoint: same recorded history.
    history = json.loads((model / "model" / "logllm.json").read_text())["history"]
    assert main([*train, "--quiet"]) == 0
    assert json.loads((model / "model" / "logllm.json").read_text())["history"] == history
    assert [record["stage"] for record in history] == ["llm", "projector", "embedder", "all"]
