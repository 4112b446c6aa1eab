"""The loop's own counters: finished epochs, micro-steps, history and early stopping (best weights, stale epochs)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from logad.train.distributed import distributed
from logad.train.history import EpochStats, from_records, to_records


@dataclass
class EpochState:
    """What the loop has done so far; ``best_weights`` is set once a validation loss has been tracked."""

    epoch: int = 0
    step: int = 0
    history: list[EpochStats] = field(default_factory=list)
    best_loss: float = math.inf
    best_weights: dict[str, torch.Tensor] | None = None
    stale: int = 0

    def track(self, loss: float, module: nn.Module) -> None:
        """Keep the weights when ``loss`` is the lowest so far, else count a stale epoch (every rank calls it)."""
        if loss < self.best_loss:
            self.best_loss, self.stale = loss, 0
            self.best_weights = distributed().state_dict(module)
        else:
            self.stale += 1

    def to_dict(self) -> dict[str, Any]:
        """Plain values and tensors, for ``torch.load(weights_only=True)``."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "history": to_records(self.history),
            "best_loss": self.best_loss,
            "best_weights": self.best_weights,
            "stale": self.stale,
        }

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> EpochState:
        history = from_records(saved["history"])
        return cls(saved["epoch"], saved["step"], history, saved["best_loss"], saved["best_weights"], saved["stale"])
