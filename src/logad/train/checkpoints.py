"""Per-epoch training checkpoints, so a killed run resumes without losing a finished epoch.

``<root>/<fingerprint>/epoch-<n>.pt`` holds the training loop's state (the format is ``logad.train.resume``'s);
the fingerprint covers the config and the training data, so a checkpoint is never resumed by a run
that would have trained differently. Only rank 0 writes; every rank reads the same file on resume.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import torch

from logad.train.ranks import is_main_process

CHECKPOINTS_DIR = "checkpoints"  # under a training run's work folder
_EPOCH_FILE = re.compile(r"^epoch-(\d+)\.pt$")


def fingerprint(*parts: Any) -> str:
    """A short hash of JSON-serialisable ``parts`` (config dicts, training windows)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


class EpochCheckpoints:
    """The latest finished epoch's state of one training run (older epochs are removed once a newer is saved)."""

    def __init__(self, root: Path, run_fingerprint: str, writer: bool = True) -> None:
        self.folder = Path(root) / run_fingerprint
        self.writer = writer

    def latest(self) -> tuple[int, dict[str, Any]] | None:
        """(epoch, state) of the newest checkpoint, or None."""
        if not self.folder.is_dir():
            return None
        epochs = sorted(int(m.group(1)) for p in self.folder.iterdir() if (m := _EPOCH_FILE.match(p.name)))
        if not epochs:
            return None
        path = self.folder / f"epoch-{epochs[-1]}.pt"
        return epochs[-1], torch.load(path, map_location="cpu", weights_only=True)

    def save(self, epoch: int, state: dict[str, Any]) -> None:
        """Write ``state`` as epoch ``epoch`` atomically (rank 0 only), then drop older epochs."""
        if not self.writer:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"epoch-{epoch}.pt"
        partial = target.with_suffix(".partial")
        torch.save(state, partial)
        os.replace(partial, target)
        for path in self.folder.iterdir():
            found = _EPOCH_FILE.match(path.name)
            if found and int(found.group(1)) < epoch:
                path.unlink()


def run_checkpoints(work_dir: str | Path | None, run: str) -> EpochCheckpoints | None:
    """The epoch checkpoints of ``run`` under a training run's work folder, written by rank 0 (None without a
    work folder: nothing is checkpointed)."""
    if work_dir is None:
        return None
    return EpochCheckpoints(Path(work_dir) / CHECKPOINTS_DIR, run, writer=is_main_process())
