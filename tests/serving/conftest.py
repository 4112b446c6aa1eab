"""Tiny trained artifacts of every detector, synthetic tenant logs, and real servers started on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from serving_helpers import TOKENS

from logad.cli import main
from logad.state import SqliteStateStore
from logad_serving.launch import LocalDeployment

# Sessions close only when a request flushes: the windows then equal the offline ones.
NEVER_IDLE = ["--session-idle-seconds", "1e9"]


@pytest.fixture(scope="session")
def synth_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serving-synth")
    args = ["synth", "--out", str(out), "--blocks", "150", "--anomaly-rate", "0.15", "--tenants", "2", "--seed", "4"]
    assert main(args) == 0
    return out


@pytest.fixture(scope="session")
def artifact_factory(
    synth_logs: Path, tiny_detector_config: Callable[[str], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """Trains a tiny model of a detector (its ``tiny_detector_config``) on tenant-0 once per session."""
    trained: dict[str, Path] = {}

    def artifact(detector: str) -> Path:
        if detector not in trained:
            folder = tmp_path_factory.mktemp(f"serving-{detector}")
            config = folder / "config.yaml"
            config.write_text(yaml.safe_dump(tiny_detector_config(detector)))
            data = synth_logs / "tenant-0"
            args = ["train", "--detector", detector, "--logs", str(data / "HDFS.log"), "--format", "hdfs"]
            args += ["--labels", str(data / "anomaly_label.csv"), "--config", str(config)]
            assert main([*args, "--out", str(folder / "model"), "--quiet"]) == 0
            trained[detector] = folder / "model"
        return trained[detector]

    return artifact


@pytest.fixture(scope="session")
def baseline(artifact_factory: Callable[[str], Path]) -> Path:
    """The tiny baseline model most serving tests deploy."""
    return artifact_factory("baseline")


@pytest.fixture
def tokens_dir(tmp_path: Path) -> Path:
    """A folder like a mounted secret: one file per tenant of ``TOKENS`` holding its token (for --tokens-dir)."""
    folder = tmp_path / "tokens"
    folder.mkdir()
    for tenant, token in TOKENS.items():
        (folder / tenant).write_text(f"{token}\n")
    return folder


@pytest.fixture
def deploy(tmp_path: Path) -> Iterator[Callable[..., LocalDeployment]]:
    """Starts a predictor + transformer for an artifact (stopped at the end of the test)."""
    started: list[LocalDeployment] = []

    def start(model: Path, *transformer_args: str, protocol: str = "v1"):  # a later --state overrides the default
        name = json.loads((model / "logad.json").read_text())["detector"]
        state_args = ["--state", str(_state_db(tmp_path))]
        deployment = LocalDeployment.create(
            model,
            name,
            tmp_path / f"servers-{len(started)}",
            [*state_args, *NEVER_IDLE, *transformer_args],
            protocol=protocol,
        )
        started.append(deployment)
        return deployment.start()

    yield start
    for deployment in started:
        deployment.stop()


@pytest.fixture
def deployed_state(tmp_path: Path) -> Iterator[Callable[[str], SqliteStateStore]]:
    """Opens the state store the `deploy` fixture's transformers share, for a model name, beside the running
    servers (closed at the end of the test)."""
    opened: list[SqliteStateStore] = []

    def open_(name: str) -> SqliteStateStore:
        opened.append(SqliteStateStore(_state_db(tmp_path), name))
        return opened[-1]

    yield open_
    for store in opened:
        store.close()


def _state_db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "tenants.db"
