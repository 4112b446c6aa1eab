"""DeepLog's part of the training loop: Adam on the count-weighted cross-entropy of next keys, early stopping on
the validation loss."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from logad.detectors.deeplog.config import DeepLogConfig
from logad.detectors.deeplog.keys import Pairs
from logad.detectors.deeplog.model import DeepLogModel
from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed, gradient_free
from logad.train.history import EpochStats
from logad.train.loop import Epoch, LoopSettings, StepLoss, Task, train_loop


def weighted_loss(model: nn.Module, batch: Pairs) -> torch.Tensor:
    """Sum over the batch of weight x cross-entropy of the true next key."""
    losses = F.cross_entropy(model(batch.histories), batch.targets, reduction="none")
    return (losses * batch.weights).sum()


def train_model(
    model: DeepLogModel,
    train: Pairs,
    validation: Pairs,
    config: DeepLogConfig,
    show_progress: bool,
    checkpoints: EpochCheckpoints | None = None,
) -> list[EpochStats]:
    """Train ``model`` in place on non-empty ``train``; with ``validation`` pairs keep the epoch of lowest loss.

    Runs on every process of a distributed run (each computes its shard of every batch, scaled so that DDP's
    gradient average is the whole batch's weighted mean); each finished epoch is checkpointed, and a run with the
    same config and data resumes after the last one.
    """
    order_generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    task = NextKeyTask(model, train, validation, config, order_generator)
    settings = LoopSettings("train", config.epochs, patience=config.patience, show_progress=show_progress)
    return train_loop(model, optimizer, task, settings, (order_generator,), checkpoints=checkpoints)


class NextKeyTask(Task):
    """Shuffled batches of (history, next key) pairs; a batch's loss is its weighted sum, scaled so that DDP's
    gradient average is the whole batch's weighted mean."""

    def __init__(
        self, model: DeepLogModel, train: Pairs, validation: Pairs, config: DeepLogConfig, order: torch.Generator
    ) -> None:
        self.model, self.train, self.validation, self.config, self.order = model, train, validation, config, order

    def epoch(self) -> Epoch:
        order = torch.randperm(len(self.train), generator=self.order).tolist()
        return Epoch.over(order, self.config.batch_size, float(self.train.weights.sum()))

    def step(self, model: nn.Module, indices: Sequence[int], local: list[int], weight: float) -> StepLoss:
        loss = weighted_loss(model, self.train.take(local, next(model.parameters()).device))
        batch_weight = float(self.train.weights[indices].sum())
        return StepLoss(loss, distributed().world_size / batch_weight if weight else 0.0, 1 if weight else 0)

    def validation_loss(self) -> float | None:
        if not len(self.validation):
            return None
        return validation_loss(self.model, self.validation, self.config.batch_size)


def validation_loss(model: DeepLogModel, pairs: Pairs, batch_size: int) -> float:
    """Weighted mean cross-entropy of the next key over ``pairs``."""
    device = next(model.parameters()).device
    model.eval()
    with gradient_free():
        total = sum(
            weighted_loss(model, pairs.take(range(start, min(start + batch_size, len(pairs))), device)).item()
            for start in range(0, len(pairs), batch_size)
        )
    return total / float(pairs.weights.sum())
