"""Stage checkpoints, so an interrupted training resumes after its last finished stage (and, inside a stage, after
its last finished epoch).

Each finished stage writes ``<root>/<n>-<stage>-<fingerprint>/`` (adapters, projector, ``stage.json``), the
state file last; the stage's epoch checkpoints live in ``<root>/epochs/<n>-<stage>-<fingerprint>/`` until then.
A stage's fingerprint covers the training data, the settings every stage shares and the stages up to it with their
own settings, so runs that share a checkpoint folder also share finished stage prefixes (an ablation without the
last stage reuses the full run's first stages) and nothing else.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from logad.config import config_to_dict
from logad.detectors.logllm.config import LogLLMConfig
from logad.detectors.logllm.model import LogLLMModel
from logad.jsonio import read_json_object, write_json_atomic
from logad.train.checkpoints import EpochCheckpoints, fingerprint
from logad.train.history import EpochStats, from_records, to_records

STAGE_STATE = "stage.json"
EPOCHS_DIR = "epochs"
# Fields that do not change what a stage computes (each stage's own settings enter through the stage prefix).
_NOT_FINGERPRINTED = ("score_batch_size", "cache_size", "warm_windows", "cache_dir", "checkpoint_dir", "skip_stages")


@dataclass
class Resume:
    """Where training picks up: how many stages are done, the weights they left, and their history."""

    finished: int = 0
    weights: Path | None = None
    history: list[EpochStats] = field(default_factory=list)


def data_digest(windows: list[list[str]], labels: np.ndarray) -> str:
    """Hash of the training windows with their labels."""
    return fingerprint(windows, labels.tolist())


def stage_fingerprints(config: LogLLMConfig, data: str) -> list[str]:
    """One fingerprint per stage that runs: data + shared settings + the stages up to it and their settings."""
    shared = {
        key: value
        for key, value in config_to_dict(config).items()
        if key not in _NOT_FINGERPRINTED and not key.endswith("_stage")
    }
    return [
        fingerprint(data, shared, [[stage, config_to_dict(config.stage(stage))] for stage in config.stages[:end]])
        for end in range(1, len(config.stages) + 1)
    ]


def stage_dir(root: Path, position: int, stage: str, stage_fingerprint: str) -> Path:
    return root / f"{position + 1}-{stage}-{stage_fingerprint}"


def epoch_checkpoints(root: Path, position: int, stage: str, stage_fingerprint: str, writer: bool) -> EpochCheckpoints:
    """Where stage ``stage`` at ``position`` keeps its epoch checkpoints (``writer``: whether this rank writes)."""
    return EpochCheckpoints(root / EPOCHS_DIR, stage_dir(root, position, stage, stage_fingerprint).name, writer)


def find_resume(root: Path, stages: list[str], fingerprints: list[str]) -> Resume:
    """The longest run of leading stages with a finished checkpoint."""
    resume = Resume()
    for position, (stage, stage_fingerprint) in enumerate(zip(stages, fingerprints, strict=True)):
        directory = stage_dir(root, position, stage, stage_fingerprint)
        state_file = directory / STAGE_STATE
        if not state_file.is_file():
            break
        state = read_json_object(state_file, "LogLLM stage checkpoint")
        resume = Resume(position + 1, directory, from_records(state["history"]))
    return resume


def save_stage(
    root: Path, position: int, stage: str, stage_fingerprint: str, model: LogLLMModel, history: list[EpochStats]
) -> None:
    """Write the stage's weights and state; the state file last, so a crash mid-write is never resumed from."""
    directory = stage_dir(root, position, stage, stage_fingerprint)
    if directory.exists():
        shutil.rmtree(directory)
    model.save_weights(directory)
    state = {"stage": stage, "fingerprint": stage_fingerprint, "history": to_records(history)}
    write_json_atomic(directory / STAGE_STATE, state)
    shutil.rmtree(root / EPOCHS_DIR / directory.name, ignore_errors=True)  # the finished stage supersedes them
    with contextlib.suppress(OSError):  # left only while another stage of a shared folder has epochs in it
        (root / EPOCHS_DIR).rmdir()
