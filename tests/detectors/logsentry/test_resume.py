"""A LogSentry training killed mid-way resumes after its last finished epoch, keeping finished stages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import torch

from logad.cli import main

ENV = os.environ | {"OMP_NUM_THREADS": "1"}


def test_a_killed_logsentry_run_resumes_after_its_last_finished_epoch(tiny_bert_dir, tmp_path):
    assert main(["synth", "--out", str(tmp_path / "synth"), "--blocks", "200", "--anomaly-rate", "0.15"]) == 0
    data = tmp_path / "synth" / "tenant-0"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"detector:\n  encoder: {tiny_bert_dir}\n  max_tokens: 64\n  pretrain_epochs: 2\n  max_pairs_per_epoch: 16\n"
        "  pretrain_batch_size: 8\n  finetune_epochs: 40\n  finetune_batch_size: 16\n  head_hidden: 16\n"
        "  beta: 1.0\n  train_on_distinct: true\n  text_form: counts\n"
    )
    out = tmp_path / "model"
    command = [sys.executable, "-m", "logad", "train", "--detector", "logsentry", "--format", "hdfs", "--quiet"]
    command += ["--logs", str(data / "HDFS.log"), "--labels", str(data / "anomaly_label.csv")]
    command += ["--config", str(config), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    deadline = time.monotonic() + 300
    while not list(out.glob("checkpoints/finetune-*/epoch-*.pt")) and time.monotonic() < deadline:
        assert process.poll() is None, "training ended before its first fine-tuning checkpoint"
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    (checkpoint,) = out.glob("checkpoints/finetune-*/epoch-*.pt")
    saved = torch.load(checkpoint, weights_only=True)
    assert len(saved["history"]) < 40 and not (out / "logad.json").exists()

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600, env=ENV)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    history = json.loads((out / "model" / "logsentry.json").read_text())["history"]
    stages = [(h["stage"], h["epoch"]) for h in history]
    assert stages == [("pretrain", 1), ("pretrain", 2)] + [("finetune", e) for e in range(1, 41)]
    finetuned = [h for h in history if h["stage"] == "finetune"]
    assert finetuned[: len(saved["history"])] == saved["history"]  # finished epochs kept, not trained again
    assert not (out / "checkpoints").exists()  # resume aids go once the artifact is written
