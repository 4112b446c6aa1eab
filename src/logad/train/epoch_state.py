"""What an epoch loop with early stopping needs to resume after a kill: epoch, best weights, patience, history,
and (in the checkpoint) the model, optimizer and random generators."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from logad.train.distributed import distributed
from logad.train.history import EpochStats


@dataclass
class EpochState:
    """Epoch counter, early-stopping state and history; ``extra`` holds a loop's own tensors (e.g. a centre)."""

    epoch: int = 0
    best_loss: float = math.inf
    best_weights: dict[str, torch.Tensor] | None = None
    stale: int = 0
    history: list[EpochStats] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def track(self, loss: float, model: nn.Module) -> None:
        """Keep the weights when ``loss`` is the lowest so far, else count a stale epoch (every rank calls it)."""
        if loss < self.best_loss:
            self.best_loss, self.stale = loss, 0
            self.best_weights = distributed().state_dict(model)
        else:
            self.stale += 1

    def snapshot(self, model: nn.Module, optimizer: torch.optim.Optimizer, *generators: torch.Generator) -> dict:
        """The checkpoint of this epoch (tensors and plain values only, for ``torch.load(weights_only=True)``);
        every rank calls it."""
        return {
            "epoch": self.epoch,
            "best_loss": self.best_loss,
            "best_weights": self.best_weights,
            "stale": self.stale,
            "history": [record.__dict__ for record in self.history],
            "extra": self.extra,
            "model": distributed().state_dict(model),
            "optimizer": distributed().optimizer_state(optimizer),
            "generators": [generator.get_state() for generator in generators],
        }

    @classmethod
    def restore(
        cls, saved: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer, *generators: torch.Generator
    ) -> EpochState:
        """Load a checkpoint's model, optimizer and generators; return its state."""
        model.load_state_dict(saved["model"])
        if saved["optimizer"] is not None:
            optimizer.load_state_dict(saved["optimizer"])
        for generator, generator_state in zip(generators, saved["generators"], strict=True):
            generator.set_state(generator_state)
        history = [EpochStats(**record) for record in saved["history"]]
        return cls(saved["epoch"], saved["best_loss"], saved["best_weights"], saved["stale"], history, saved["extra"])
