"""Stage checkpoints, so an interrupted training resumes after its last finished stage.

Each finished stage writes ``<work_dir>/stages/<n>-<stage>/`` (adapters, projector, ``stage.json``) atomically.
A checkpoint is reused only when its fingerprint (config + training data) matches the current run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from logad.config import config_to_dict
from logad.detectors.logllm.config import LogLLMConfig
from logad.detectors.logllm.model import LogLLMModel
from logad.detectors.logsentry.training import EpochStats
from logad.jsonio import read_json_object, write_json_atomic

STAGES_DIR = "stages"
STAGE_STATE = "stage.json"
# Fields that do not change what training computes.
_NOT_FINGERPRINTED = ("score_batch_size", "cache_size", "cache_dir")


@dataclass
class Resume:
    """Where training picks up: how many stages are done, the weights they left, and their history."""

    finished: int = 0
    weights: Path | None = None
    history: list[EpochStats] = field(default_factory=list)


def fingerprint(config: LogLLMConfig, windows: list[list[str]], labels: np.ndarray) -> str:
    """Hash of the training-relevant config and the training windows with their labels."""
    digest = hashlib.sha256()
    settings = {k: v for k, v in config_to_dict(config).items() if k not in _NOT_FINGERPRINTED}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for window, label in zip(windows, labels.tolist(), strict=True):
        digest.update(json.dumps([label, window]).encode())
    return digest.hexdigest()


def stage_dir(root: Path, position: int, stage: str) -> Path:
    return root / STAGES_DIR / f"{position + 1}-{stage}"


def find_resume(root: Path, stages: list[str], run_fingerprint: str) -> Resume:
    """The longest run of leading stages with a finished checkpoint of this fingerprint."""
    resume = Resume()
    for position, stage in enumerate(stages):
        directory = stage_dir(root, position, stage)
        state_file = directory / STAGE_STATE
        if not state_file.is_file():
            break
        state = read_json_object(state_file, "LogLLM stage checkpoint")
        if state.get("fingerprint") != run_fingerprint:
            break
        resume = Resume(position + 1, directory, [EpochStats(**record) for record in state["history"]])
    return resume


def save_stage(
    root: Path, position: int, stage: str, run_fingerprint: str, model: LogLLMModel, history: list[EpochStats]
) -> None:
    """Write the stage's weights and state; the state file last, so a crash mid-write is never resumed from."""
    directory = stage_dir(root, position, stage)
    if directory.exists():
        shutil.rmtree(directory)
    model.save_weights(directory)
    state = {"stage": stage, "fingerprint": run_fingerprint, "history": [record.__dict__ for record in history]}
    write_json_atomic(directory / STAGE_STATE, state)
