"""The one training loop of every neural detector: epochs of global batches, each split across the processes of a
distributed run, gradient accumulation, gradient clipping, a learning-rate schedule, early stopping on a validation
loss, and a checkpoint after every epoch (``logad.train.resume``) so a killed run resumes after its last finished
epoch. What a detector trains on and how a batch becomes a loss come in as a ``Task``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed
from logad.train.epoch_state import EpochState
from logad.train.history import EpochStats
from logad.train.resume import Generator, Schedule, restore_run, restore_weights, snapshot, trained_parameters


@dataclass
class Epoch:
    """What one epoch iterates: global batches of example indices, the examples it counts, and what its summed
    loss is divided by for the epoch's mean (the examples unless a task weighs them)."""

    batches: list[Sequence[int]]
    examples: int
    divisor: float | None = None

    @classmethod
    def over(cls, order: Sequence[int], batch_size: int, divisor: float | None = None) -> Epoch:
        """Consecutive batches of ``batch_size`` over the example indices ``order``."""
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
        return cls(batches, len(order), divisor)


@dataclass
class StepLoss:
    """One batch's loss on this rank: backward runs on ``loss`` x ``scale``; the epoch's summed loss adds
    ``loss`` x ``count``."""

    loss: torch.Tensor
    scale: float
    count: float

    @classmethod
    def mean(cls, loss: torch.Tensor, local: Sequence[int], weight: float) -> StepLoss:
        """A mean loss over this rank's ``local`` examples, scaled by its shard ``weight``."""
        return cls(loss, weight, len(local) if weight else 0)


class Task:
    """The detector's part of training. ``epoch`` and ``step`` are required; the rest are optional hooks."""

    def start(self, model: nn.Module) -> None:
        """Called once the model is wrapped for the run, before the first epoch."""

    def epoch(self) -> Epoch:
        raise NotImplementedError

    def step(self, model: nn.Module, indices: Sequence[int], local: list[int], weight: float) -> StepLoss:
        """The loss of global batch ``indices`` on this rank: its ``local`` share at shard ``weight`` through the
        (possibly wrapped) ``model``."""
        raise NotImplementedError

    def validation_loss(self) -> float | None:
        """The loss early stopping tracks after each epoch (None: no early stopping)."""
        return None

    def state(self) -> dict[str, Any]:
        """The task's own resume state (tensors and plain values)."""
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        """Take back what ``state`` returned."""


@dataclass
class BatchTask(Task):
    """A task made of two callables: the epoch's batches, and the mean loss of some examples through the model."""

    batches: Callable[[], Epoch]
    loss: Callable[[nn.Module, list[int]], torch.Tensor]
    on_start: Callable[[nn.Module], None] | None = None

    def start(self, model: nn.Module) -> None:
        if self.on_start is not None:
            self.on_start(model)

    def epoch(self) -> Epoch:
        return self.batches()

    def step(self, model: nn.Module, indices: Sequence[int], local: list[int], weight: float) -> StepLoss:
        return StepLoss.mean(self.loss(model, local), local, weight)


@dataclass
class LoopSettings:
    """How the loop runs. ``stage`` labels the history; ``patience`` stops after that many epochs without a lower
    validation loss (None: never); ``train_mode`` False leaves the modules' modes as the caller set them."""

    stage: str
    epochs: int
    accumulation: int = 1
    max_grad_norm: float | None = None
    patience: int | None = None
    train_mode: bool = True
    show_progress: bool = False


def train_loop(
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    task: Task,
    settings: LoopSettings,
    generators: Sequence[Generator] = (),
    schedule: Schedule | None = None,
    checkpoints: EpochCheckpoints | None = None,
) -> list[EpochStats]:
    """Train ``module`` in place; returns one record per epoch and leaves it in eval mode, with the weights of its
    lowest validation loss when the task has one. Runs on every process of a distributed run (each computes its
    shard of every batch). ``generators`` (the task's random draws) and ``schedule`` go into the checkpoints."""
    dist = distributed()
    trained = trained_parameters(module)
    resumed = checkpoints.latest() if checkpoints else None
    if resumed:
        restore_weights(resumed[1], trained)
    wrapped, optimizer = dist.prepare(module, optimizer)
    task.start(wrapped)
    state = EpochState()
    if resumed:
        state = restore_run(resumed[1], optimizer, schedule, generators)
        task.restore(resumed[1]["task"])
    optimizer.zero_grad(set_to_none=True)
    for epoch in range(state.epoch + 1, settings.epochs + 1):
        if settings.patience is not None and state.stale >= settings.patience:
            break
        state.history.append(_train_epoch(wrapped, optimizer, task, settings, schedule, state, epoch))
        state.epoch = epoch
        validation = task.validation_loss()
        if validation is not None:
            state.track(validation, module)
        if checkpoints:
            checkpoints.save(epoch, snapshot(state, trained, optimizer, schedule, generators, task.state()))
    dist.release(wrapped)
    if state.best_weights is not None:
        module.load_state_dict(state.best_weights)
    module.eval()
    return state.history


def _train_epoch(
    wrapped: nn.Module,
    optimizer: torch.optim.Optimizer,
    task: Task,
    settings: LoopSettings,
    schedule: Schedule | None,
    state: EpochState,
    epoch: int,
) -> EpochStats:
    """One epoch of micro-steps (``state.step`` counts them); the optimizer steps at each accumulation boundary
    and at the epoch's end."""
    dist = distributed()
    started, total = time.perf_counter(), 0.0
    params = [param for param in wrapped.parameters() if param.requires_grad]
    if settings.train_mode:
        wrapped.train()
    plan = task.epoch()
    label = f"{settings.stage} {epoch}/{settings.epochs}"
    bar = tqdm(plan.batches, desc=label, unit="batch", disable=not settings.show_progress, leave=False)
    for position, indices in enumerate(bar):
        local, weight = dist.shard(indices)
        step = task.step(wrapped, indices, local, weight)
        state.step += 1
        boundary = state.step % settings.accumulation == 0 or position == len(plan.batches) - 1
        scaled = step.loss * step.scale
        if settings.accumulation > 1:
            scaled = scaled / settings.accumulation
        dist.backward(scaled, boundary)
        if boundary:
            if settings.max_grad_norm is not None:
                dist.clip(params, settings.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        if schedule is not None:
            schedule.step()
        total += step.loss.item() * step.count
        bar.set_postfix(loss=f"{step.loss.item():.4f}")
    divisor = plan.divisor if plan.divisor is not None else max(plan.examples, 1)
    mean_loss = dist.mean(total) * dist.world_size / divisor
    return EpochStats(settings.stage, epoch, mean_loss, plan.examples, time.perf_counter() - started)
