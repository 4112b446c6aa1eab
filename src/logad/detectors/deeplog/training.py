"""Training loop: Adam on the count-weighted cross-entropy of next keys, early stopping on the validation loss."""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from logad.detectors.deeplog.config import DeepLogConfig
from logad.detectors.deeplog.keys import Pairs
from logad.detectors.deeplog.model import DeepLogModel
from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed, gradient_free
from logad.train.epoch_state import EpochState
from logad.train.history import EpochStats


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
    dist = distributed()
    order_generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    state = EpochState()
    resumed = checkpoints.latest() if checkpoints else None
    if resumed:
        state = EpochState.restore(resumed[1], model, optimizer, order_generator)
    wrapped, optimizer = dist.prepare(model, optimizer)
    device = next(model.parameters()).device
    total_weight = float(train.weights.sum())
    epochs = tqdm(range(state.epoch + 1, config.epochs + 1), desc="deeplog", unit="epoch", disable=not show_progress)
    for epoch in epochs:
        if state.stale >= config.patience:
            break
        started, total = time.perf_counter(), 0.0
        wrapped.train()
        order = torch.randperm(len(train), generator=order_generator).tolist()
        for start in range(0, len(order), config.batch_size):
            indices = order[start : start + config.batch_size]
            local, share = dist.shard(indices)
            loss = weighted_loss(wrapped, train.take(local, device))
            batch_weight = float(train.weights[indices].sum())
            optimizer.zero_grad()
            dist.backward(loss * (dist.world_size / batch_weight if share else 0.0))
            optimizer.step()
            total += loss.item() if share else 0.0
        state.epoch = epoch
        mean_loss = dist.mean(total) * dist.world_size / total_weight
        state.history.append(EpochStats("train", epoch, mean_loss, len(train), time.perf_counter() - started))
        epochs.set_postfix(loss=f"{mean_loss:.4f}")
        if len(validation):
            state.track(validation_loss(model, validation, config.batch_size), model)
        if checkpoints:
            checkpoints.save(epoch, state.snapshot(model, optimizer, order_generator))
    dist.release(wrapped)
    if state.best_weights is not None:
        model.load_state_dict(state.best_weights)
    return state.history


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
