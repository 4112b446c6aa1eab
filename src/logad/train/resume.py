"""The one epoch-checkpoint format: the loop's counters, the trained weights, the optimizer, the learning-rate
schedule and every random generator the run draws from, so a resumed run goes on as if it had never stopped.
Under DeepSpeed the optimizer state is not saved (see ``Distributed.optimizer_state``): the moments restart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from logad.train.distributed import distributed
from logad.train.epoch_state import EpochState

Generator = torch.Generator | np.random.Generator


class Schedule(Protocol):
    """A learning-rate schedule stepped after every micro-step (torch's LR schedulers are ones)."""

    def step(self) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state_dict: dict[str, Any]) -> None: ...


def trained_parameters(module: nn.Module) -> dict[str, nn.Parameter]:
    """The parameters a run trains (and checkpoints), by name: those that require gradients."""
    return {name: param for name, param in module.named_parameters() if param.requires_grad}


def snapshot(
    state: EpochState,
    trained: dict[str, nn.Parameter],
    optimizer: torch.optim.Optimizer,
    schedule: Schedule | None,
    generators: Sequence[Generator],
    task_state: dict[str, Any],
) -> dict[str, Any]:
    """One epoch's checkpoint (tensors and plain values only); every rank calls it (ZeRO-3 gathers weights)."""
    dist = distributed()
    with dist.whole_weights(list(trained.values())):
        weights = {name: param.detach().cpu().clone() for name, param in trained.items()}
    return {
        **state.to_dict(),
        "weights": weights,
        "optimizer": dist.optimizer_state(optimizer),
        "lrs": [group["lr"] for group in optimizer.param_groups],
        "schedule": schedule.state_dict() if schedule else None,
        "generators": [_generator_state(generator) for generator in generators],
        "torch_rng": torch.get_rng_state(),
        "task": task_state,
    }


def restore_weights(saved: dict[str, Any], trained: dict[str, nn.Parameter]) -> None:
    """Load a checkpoint's trained weights (before the model is wrapped, which may partition them)."""
    with torch.no_grad():
        for name, value in saved["weights"].items():
            trained[name].copy_(value)


def restore_run(
    saved: dict[str, Any],
    optimizer: torch.optim.Optimizer,
    schedule: Schedule | None,
    generators: Sequence[Generator],
) -> EpochState:
    """Load a checkpoint's optimizer, learning rates, schedule and generators; return the loop's counters."""
    if saved["optimizer"] is not None:
        optimizer.load_state_dict(saved["optimizer"])
    for group, lr in zip(optimizer.param_groups, saved["lrs"], strict=True):
        group["lr"] = lr
    if schedule is not None:
        schedule.load_state_dict(saved["schedule"])
    for generator, generator_state in zip(generators, saved["generators"], strict=True):
        _set_generator_state(generator, generator_state)
    torch.set_rng_state(saved["torch_rng"])
    return EpochState.from_dict(saved)


def _generator_state(generator: Generator) -> Any:
    if isinstance(generator, torch.Generator):
        return generator.get_state()
    return generator.bit_generator.state


def _set_generator_state(generator: Generator, state: Any) -> None:
    if isinstance(generator, torch.Generator):
        generator.set_state(state)
    else:
        generator.bit_generator.state = state
