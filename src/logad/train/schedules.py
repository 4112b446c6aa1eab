"""Learning-rate schedules of the training loop beyond torch's own (which the loop takes as they are)."""

from __future__ import annotations

from typing import Any

import torch


class StepDecay:
    """Multiply every group's learning rate by ``factor`` after each ``every``-th micro-step (not a torch
    scheduler: it steps on micro-steps, before the optimizer has stepped, which torch's would warn about)."""

    def __init__(self, optimizer: torch.optim.Optimizer, factor: float, every: int) -> None:
        self.optimizer, self.factor, self.every = optimizer, factor, every
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps % self.every == 0:
            for group in self.optimizer.param_groups:
                group["lr"] *= self.factor

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.steps = state_dict["steps"]
