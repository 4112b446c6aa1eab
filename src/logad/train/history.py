"""The record a training loop keeps of each epoch (saved with the model, shown by benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EpochStats:
    """What one epoch did: stage, epoch number, mean loss, examples and seconds."""

    stage: str
    epoch: int
    loss: float
    examples: int
    seconds: float
