"""The record a training loop keeps of each epoch (saved with the model and in checkpoints, shown by benchmarks)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class EpochStats:
    """What one epoch did: stage, epoch number, mean loss, examples and seconds."""

    stage: str
    epoch: int
    loss: float
    examples: int
    seconds: float


def to_records(history: Iterable[EpochStats]) -> list[dict[str, Any]]:
    """``history`` as plain dicts (for JSON state files and checkpoints)."""
    return [asdict(record) for record in history]


def from_records(records: Iterable[dict[str, Any]]) -> list[EpochStats]:
    """The history ``to_records`` wrote."""
    return [EpochStats(**record) for record in records]
