"""A multi-node training step, run here: the rendered TrainJob command on two local "nodes" with the environment
Kubeflow Trainer's torch plugin gives each node's container (kubeflow/trainer
pkg/runtime/framework/plugins/torch/torch.go: PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK, PET_MASTER_ADDR,
PET_MASTER_PORT), gloo on the CPU. Each node gets its own work folder, as separate machines would see only what
they write themselves: both must join one process group, and only rank 0 may write the artifact."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys

import pytest
import yaml

pytest.importorskip("hera")

from logad.cli import main
from logad.workflow.spec import PipelineParams, pipeline_steps
from logad_pipelines import ClusterSettings, workflow_template

TAG = re.compile(r"\{\{workflow\.parameters\.(\w+)\}\}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _substituted(args: list[str], values: dict[str, str]) -> list[str]:
    """Argo's substitution of the workflow parameters in a command line."""
    return [TAG.sub(lambda match: values[match[1]], arg) for arg in args]


def test_two_nodes_train_as_one_group_and_only_rank_0_writes(tmp_path):
    settings = ClusterSettings(detectors={"bertloganom": {"nodes": 2, "processes_per_node": 1}})
    rendered = yaml.safe_load(workflow_template("bertloganom", settings).to_yaml())
    (train,) = [template for template in rendered["spec"]["templates"] if template["name"] == "train"]
    command = yaml.safe_load(train["resource"]["manifest"])["spec"]["trainer"]["command"]
    assert command[0] == "torchrun"
    synth = ["synth", "--out", str(tmp_path / "synth"), "--blocks", "300", "--anomaly-rate", "0.1", "--seed", "2"]
    assert main(synth) == 0
    logs = tmp_path / "synth" / "tenant-0"
    port, processes = _free_port(), []
    for rank in (0, 1):
        workdir = tmp_path / f"node-{rank}"
        params = PipelineParams(
            logs=str(logs / "HDFS.log"), format="hdfs", labels=str(logs / "anomaly_label.csv"), preset="tiny",
            workdir=str(workdir),
        ).values()  # fmt: skip
        (prepare,) = [step for step in pipeline_steps("bertloganom") if step.name == "prepare"]
        assert main(prepare.command(params)) == 0
        node_env = {"PET_NNODES": "2", "PET_NPROC_PER_NODE": "1", "PET_NODE_RANK": str(rank),
                    "PET_MASTER_ADDR": "127.0.0.1", "PET_MASTER_PORT": str(port)}  # fmt: skip
        launcher = [sys.executable, "-m", "torch.distributed.run", *command[1:]]
        processes.append(
            subprocess.Popen(
                _substituted(launcher, params),
                env=os.environ | node_env | {"OMP_NUM_THREADS": "1"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr[-3000:]
    manifest = json.loads((tmp_path / "node-0" / "model" / "logad.json").read_text())
    assert manifest["metrics"]["training"]["processes"] == 2  # one group across both nodes
    assert not (tmp_path / "node-1" / "model").exists()  # rank 1 trained but wrote nothing
    assert outputs[0][0].strip() and not outputs[1][0].strip()  # only rank 0 reports
