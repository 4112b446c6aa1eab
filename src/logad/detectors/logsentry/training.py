"""The loop both training stages share: Adam with linear warm-up/decay over shuffled mini-batches, each split
across the processes of a distributed run, with a checkpoint after every epoch so a killed run resumes there."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed
from logad.train.history import EpochStats


@dataclass
class StageRandomness:
    """The random generators a stage draws from (batch order, pairs, cutoff), saved with its checkpoints."""

    rng: np.random.Generator
    generators: tuple[torch.Generator, ...] = ()

    def state(self) -> dict[str, Any]:
        return {"numpy": self.rng.bit_generator.state, "torch": [g.get_state() for g in self.generators]}

    def restore(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["numpy"]
        for generator, saved in zip(self.generators, state["torch"], strict=True):
            generator.set_state(saved)


def adam_with_warmup(
    module: nn.Module, lr: float, weight_decay: float, warmup_ratio: float, total_steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """Adam(W) and a schedule rising linearly over the first ``warmup_ratio`` of steps, then decaying to 0."""
    optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    warmup = round(warmup_ratio * total_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, max(total_steps, 1))


def minibatches(count: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Shuffled index batches covering ``range(count)`` once."""
    order = rng.permutation(count)
    for start in range(0, count, batch_size):
        yield order[start : start + batch_size]


def run_stage(
    stage: str,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
    epochs: int,
    epoch_batches: Callable[[], tuple[int, list[np.ndarray]]],
    batch_loss: Callable[[nn.Module, list[int]], torch.Tensor],
    show_progress: bool,
    randomness: StageRandomness,
    checkpoints: EpochCheckpoints | None = None,
) -> list[EpochStats]:
    """Train ``model`` for ``epochs``: ``epoch_batches`` gives each epoch's example count and global index batches,
    ``batch_loss`` the mean loss of some examples through the (possibly DDP-wrapped) model. Each process computes
    its shard of every batch. After each epoch the model, optimizer, schedule, generators and history are
    checkpointed; a run with the same checkpoints resumes after the last finished epoch. Returns one record per
    epoch and leaves ``model`` in eval mode."""
    history: list[EpochStats] = []
    resumed = checkpoints.latest() if checkpoints else None
    if resumed:
        saved = resumed[1]
        model.load_state_dict(saved["model"])
        if saved["optimizer"] is not None:
            optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        randomness.restore(saved["randomness"])
        history = [EpochStats(**record) for record in saved["history"]]
    dist = distributed()
    wrapped, optimizer = dist.prepare(model, optimizer)
    wrapped.train()
    for epoch in range(len(history) + 1, epochs + 1):
        started, total = time.perf_counter(), 0.0
        count, batches = epoch_batches()
        bar = tqdm(batches, desc=f"{stage} {epoch}/{epochs}", unit="batch", disable=not show_progress, leave=False)
        for idx in bar:
            local, weight = dist.shard(idx.tolist())
            loss = batch_loss(wrapped, local)
            optimizer.zero_grad(set_to_none=True)
            dist.backward(loss * weight)
            dist.clip([p for p in wrapped.parameters() if p.requires_grad], 1.0)
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(local) * (weight > 0)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        mean_loss = dist.mean(total) * dist.world_size / max(count, 1)
        history.append(EpochStats(stage, epoch, mean_loss, count, time.perf_counter() - started))
        if checkpoints:
            snapshot = {
                "model": dist.state_dict(model),
                "optimizer": dist.optimizer_state(optimizer),
                "scheduler": scheduler.state_dict(),
                "randomness": randomness.state(),
                "history": [record.__dict__ for record in history],
            }
            checkpoints.save(epoch, snapshot)
    dist.release(wrapped)
    model.eval()
    return history
