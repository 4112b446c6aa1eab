"""Distributed training on this CPU: a real 2-process run (torchrun, DDP over gloo) against the 1-process run,
and a run killed mid-training that resumes from its last finished epoch."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from logad.cli import main

TINY = ["--detector", "bertloganom", "--format", "hdfs", "--preset", "tiny", "--quiet"]
ENV = os.environ | {"OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--out", str(out), "--blocks", "300", "--anomaly-rate", "0.1", "--seed", "2"]) == 0
    folder = out / "tenant-0"
    return ["--logs", str(folder / "HDFS.log"), "--labels", str(folder / "anomaly_label.csv")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _torchrun() -> list[str]:
    """torchrun with 2 processes rendezvousing on loopback at a free port."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-addr",
        "127.0.0.1",
        "--master-port",
        str(_free_port()),
        "-m",
        "logad",
        "--",
    ]


def _train(launcher: list[str], synth: list[str], out: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [*launcher, "train", *TINY, *synth, "--out", str(out), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=ENV)


def _history(out: Path) -> list[dict]:
    return json.loads((out / "model" / "bertloganom.json").read_text())["history"]


def test_two_processes_learn_like_one_and_only_rank_0_writes(synth, tmp_path):
    one = _train([sys.executable, "-m", "logad"], synth, tmp_path / "one")
    assert one.returncode == 0, one.stderr[-2000:]
    two = _train(_torchrun(), synth, tmp_path / "two")
    assert two.returncode == 0, two.stderr[-3000:]
    assert len(two.stdout.strip().splitlines()) == 1  # one report, from rank 0
    single, double = _history(tmp_path / "one"), _history(tmp_path / "two")
    assert [h["epoch"] for h in single] == [h["epoch"] for h in double] and single[0]["examples"] == double[0][
        "examples"
    ]
    for a, b in zip(single, double, strict=True):  # same global batches; masks and dropout are drawn per rank
        assert b["loss"] == pytest.approx(a["loss"], rel=0.15)
    assert single[-1]["loss"] < single[0]["loss"] and double[-1]["loss"] < double[0]["loss"]
    evaluated = subprocess.run(
        [sys.executable, "-m", "logad", "evaluate", "--model", str(tmp_path / "two"), *synth, "--json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    assert 0.0 <= json.loads(evaluated.stdout)["roc_auc"] <= 1.0


def test_a_killed_run_resumes_after_its_last_finished_epoch(synth, tmp_path):
    out = tmp_path / "run"
    settings = ["--set", "detector.epochs=12", "--set", "detector.patience=100"]
    command = [sys.executable, "-m", "logad", "train", *TINY, *synth, "--out", str(out), *settings]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    deadline = time.monotonic() + 300
    while not list(out.glob("checkpoints/*/epoch-*.pt")) and time.monotonic() < deadline:
        assert process.poll() is None, "training ended before its first checkpoint"
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    (checkpoint,) = out.glob("checkpoints/*/epoch-*.pt")
    saved = torch.load(checkpoint, weights_only=True)
    assert saved["epoch"] < 12 and not (out / "logad.json").exists()  # killed mid-run: no artifact
    resumed = _train([sys.executable, "-m", "logad"], synth, out, *settings)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    history = _history(out)
    assert [h["epoch"] for h in history] == list(range(1, 13))
    assert history[: saved["epoch"]] == saved["history"]  # finished epochs were kept, not trained again


def test_deepspeed_zero2_with_cpu_offload_runs_on_gloo_and_learns_like_ddp(synth, tmp_path):
    pytest.importorskip("deepspeed")
    from logad.train.distributed import deepspeed_config

    launcher = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--use_deepspeed",
        "--deepspeed_config_file",
        str(deepspeed_config("zero2_offload")),
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--main_process_ip",
        "127.0.0.1",
        "--main_process_port",
        str(_free_port()),
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "logad",
        "--",
    ]
    zero = _train(launcher, synth, tmp_path / "zero2")
    assert zero.returncode == 0, zero.stderr[-3000:]
    ddp = _train(_torchrun(), synth, tmp_path / "ddp")
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    trained = json.loads((tmp_path / "zero2" / "logad.json").read_text())["metrics"]["training"]
    assert trained == {"processes": 2, "distributed": "deepspeed"}
    assert json.loads((tmp_path / "ddp" / "logad.json").read_text())["metrics"]["training"]["processes"] == 2
    # ZeRO-2 partitions optimizer state and gradients, not the maths: the same losses as DDP.
    for a, b in zip(_history(tmp_path / "ddp"), _history(tmp_path / "zero2"), strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4)
