"""Distributed training on this CPU: a real 2-process run (torchrun, DDP over gloo) against the 1-process run,
and a run killed mid-training that resumes from its last finished epoch. The one DDP run of the tiny detector (a
module fixture) is both the 2-process side of that comparison and the DeepSpeed runs' reference. Training runs in
processes of its own; the saved artifacts are evaluated and scored through `main` in this process (``_cli``)."""

from __future__ import annotations

import contextlib
import io
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


def _cli(*args: str) -> str:
    """What `logad ARGS` prints, run through ``main`` in this process (no ~15 s of imports per process)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(list(args)) == 0
    return printed.getvalue()


def _history(out: Path) -> list[dict]:
    return json.loads((out / "model" / "bertloganom.json").read_text())["history"]


@pytest.fixture(scope="module")
def ddp(synth, tmp_path_factory) -> tuple[Path, str]:
    """A 2-process DDP run (torchrun) of the tiny detector, its folder and what it printed: checked against the
    1-process run, and the reference for the DeepSpeed runs."""
    out = tmp_path_factory.mktemp("ddp")
    done = _train(_torchrun(), synth, out)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout


@pytest.fixture(scope="module")
def ddp_run(ddp) -> Path:
    return ddp[0]


def test_two_processes_learn_like_one_and_only_rank_0_writes(synth, ddp, tmp_path):
    one = _train([sys.executable, "-m", "logad"], synth, tmp_path / "one")
    assert one.returncode == 0, one.stderr[-2000:]
    two, printed = ddp
    assert len(printed.strip().splitlines()) == 1  # one report, from rank 0
    single, double = _history(tmp_path / "one"), _history(two)
    assert [h["epoch"] for h in single] == [h["epoch"] for h in double] and single[0]["examples"] == double[0][
        "examples"
    ]
    for a, b in zip(single, double, strict=True):  # same global batches; masks and dropout are drawn per rank
        assert b["loss"] == pytest.approx(a["loss"], rel=0.15)
    assert single[-1]["loss"] < single[0]["loss"] and double[-1]["loss"] < double[0]["loss"]
    evaluated = _cli("evaluate", "--model", str(two), *synth, "--json", "--quiet")
    assert 0.0 <= json.loads(evaluated)["roc_auc"] <= 1.0


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


def _accelerate_deepspeed(config: str, processes: int = 2) -> list[str]:
    """accelerate launch with DeepSpeed and one of the shipped configs, ``processes`` processes on loopback."""
    from logad.train.distributed import deepspeed_config

    return [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--use_deepspeed",
        "--deepspeed_config_file",
        str(deepspeed_config(config)),
        "--num_processes",
        str(processes),
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


def _detect(model: Path, synth: list[str]) -> list[float]:
    """Scores of the synthetic log's windows through ``logad detect`` with the saved artifact."""
    return [
        json.loads(line)["score"] for line in _cli("detect", "--model", str(model), *synth[:2], "--all").splitlines()
    ]


@pytest.fixture(scope="module")
def ddp_scores(ddp_run, synth) -> list[float]:
    """The DDP artifact's scores of the synthetic windows, detected once for both DeepSpeed configs."""
    return _detect(ddp_run, synth)


@pytest.mark.parametrize("config", ["zero2_offload", "zero3_offload"])
def test_deepspeed_runs_on_gloo_learns_like_ddp_and_saves_whole_weights(config, synth, ddp_run, ddp_scores, tmp_path):
    """ZeRO-2 partitions optimizer state and gradients, ZeRO-3 the weights too: neither changes the maths, so the
    losses equal DDP's; under ZeRO-3 the weights are gathered back after training, so rank 0 scores and saves the
    whole model (the artifact's scores equal the metrics it recorded and are not degenerate)."""
    pytest.importorskip("deepspeed")
    zero = _train(_accelerate_deepspeed(config), synth, tmp_path / config)
    assert zero.returncode == 0, zero.stderr[-3000:]
    manifest = json.loads((tmp_path / config / "logad.json").read_text())
    assert manifest["metrics"]["training"] == {"processes": 2, "distributed": "deepspeed"}
    for a, b in zip(_history(ddp_run), _history(tmp_path / config), strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4)
    scores = _detect(tmp_path / config, synth)
    assert scores == pytest.approx(ddp_scores, rel=1e-3, abs=1e-5)


def test_logllm_stages_under_zero3_learn_like_ddp(synth, tiny_llama_dir, tiny_bert64_dir, tmp_path):
    """LogLLM's stages each prepare the model anew and accumulate micro-batches: under ZeRO-3 (a fresh engine per
    stage, DeepSpeed told where accumulation ends, frozen-encoder vectors cached on every rank alike) every
    stage's loss equals DDP's, and the saved adapters score as DDP's do. QLoRA under ZeRO-3 is refused by name."""
    pytest.importorskip("deepspeed")
    tiny = [
        "--detector", "logllm", "--format", "hdfs", "--preset", "cpu", "--quiet",
        "--set", f"detector.llm={tiny_llama_dir}", "--set", f"detector.encoder={tiny_bert64_dir}",
        "--set", "detector.quantization=none", "--set", "detector.batch_size=8",
        "--set", "detector.micro_batch_size=2", "--set", "detector.max_messages=16",
        "--set", "detector.max_message_tokens=16", "--set", "detector.all_stage.epochs=1",
    ]  # fmt: skip
    for stage in ("llm", "projector", "embedder", "all"):
        tiny += ["--set", f"detector.{stage}_stage.max_examples=16"]  # partial sections keep the preset's lr
    runs = {"ddp": _torchrun(), "zero3": _accelerate_deepspeed("zero3")}
    for name, launcher in runs.items():
        done = subprocess.run(
            [*launcher, "train", *tiny, *synth, "--out", str(tmp_path / name)],
            capture_output=True,
            text=True,
            timeout=600,
            env=ENV,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    ddp, zero3 = (json.loads((tmp_path / n / "model" / "logllm.json").read_text())["history"] for n in runs)
    assert [h["stage"] for h in zero3] == ["llm", "projector", "embedder", "all"]
    for a, b in zip(ddp, zero3, strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
    assert _detect(tmp_path / "zero3", synth) == pytest.approx(_detect(tmp_path / "ddp", synth), abs=1e-4)
    nf4 = [*tiny, "--set", "detector.quantization=nf4"]
    refused = subprocess.run(  # a refusal in every rank's fit: one process shows it
        [*_accelerate_deepspeed("zero3", processes=1), "train", *nf4, *synth, "--out", str(tmp_path / "nf4")],
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV,
    )
    assert refused.returncode != 0 and "cannot partition 4-bit (NF4) weights" in refused.stderr
