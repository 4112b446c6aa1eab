"""Training loop: AdamW on mlkp_weight x MLKP + vhm_weight x VHM, early stopping on the validation loss."""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch
from torch import nn
from tqdm.auto import tqdm

from logad.detectors.bertloganom.config import BertLogAnomConfig
from logad.detectors.bertloganom.inputs import NUM_SPECIAL, Batch, Window, batches, collate
from logad.detectors.bertloganom.losses import apply_mask, mlkp_loss, random_mask, update_centre, vhm_loss
from logad.detectors.bertloganom.model import BertLogAnomModel
from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed, gradient_free
from logad.train.epoch_state import EpochState
from logad.train.history import EpochStats

MAX_GRAD_NORM = 1.0


class MaskedKeyPredictor(nn.Module):
    """The model with its masked-log-key head in one forward pass, so DDP sees every trained parameter used."""

    def __init__(self, model: BertLogAnomModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, tokens: torch.Tensor, gaps: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits over template IDs at the ``mask`` positions (replaced by [MASK]) and the window vectors."""
        states, vectors = self.model(apply_mask(tokens, mask), gaps)
        return self.model.predict(states[mask]), vectors


def masked_forward(predictor: nn.Module, batch: Batch, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """MLKP loss and window vectors of ``batch`` with the ``mask`` positions replaced by [MASK]."""
    logits, vectors = predictor(batch.tokens, batch.gaps, mask)
    return mlkp_loss(logits, batch.tokens[mask] - NUM_SPECIAL), vectors


def total_loss(
    mlkp: torch.Tensor, vectors: torch.Tensor, centre: torch.Tensor, config: BertLogAnomConfig
) -> torch.Tensor:
    """mlkp_weight x MLKP + vhm_weight x VHM."""
    return config.mlkp_weight * mlkp + config.vhm_weight * vhm_loss(vectors, centre)


def train_model(
    model: BertLogAnomModel,
    train: Sequence[Window],
    validation: Sequence[Window],
    config: BertLogAnomConfig,
    show_progress: bool,
    checkpoints: EpochCheckpoints | None = None,
) -> list[EpochStats]:
    """Train ``model`` in place on non-empty windows; with ``validation`` keep the epoch of lowest loss.

    Runs on every process of a distributed run (each computes its shard of every batch); each finished epoch is
    checkpointed, and a run with the same config and data resumes after the last one.
    """
    dist = distributed()
    generator = torch.Generator().manual_seed(config.seed + dist.rank)
    order_generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state = EpochState(extra={"centre": None})
    resumed = checkpoints.latest() if checkpoints else None
    if resumed:
        state = EpochState.restore(resumed[1], model, optimizer, generator, order_generator)
    wrapped, optimizer = dist.prepare(MaskedKeyPredictor(model), optimizer)
    for epoch in range(state.epoch + 1, config.epochs + 1):
        if state.stale >= config.patience:
            break
        started, total = time.perf_counter(), 0.0
        wrapped.train()
        order = torch.randperm(len(train), generator=order_generator).tolist()
        starts = range(0, len(order), config.batch_size)
        bar = tqdm(starts, desc=f"bertloganom {epoch}/{config.epochs}", unit="batch", disable=not show_progress)
        for start in bar:
            local, weight = dist.shard(order[start : start + config.batch_size])
            batch = collate([train[i] for i in local])
            mlkp, vectors = masked_forward(wrapped, batch, random_mask(batch, config.mask_ratio, generator))
            count = len(local) if weight else 0
            centre = update_centre(state.extra["centre"], dist.mean_of(vectors, count), config.centre_momentum)
            state.extra["centre"] = centre
            loss = total_loss(mlkp, vectors, centre, config)
            optimizer.zero_grad()
            dist.backward(loss * weight)
            dist.clip(wrapped.parameters(), MAX_GRAD_NORM)
            optimizer.step()
            total += loss.item() * count
            bar.set_postfix(loss=f"{loss.item():.3f}", mlkp=f"{mlkp.item():.3f}")
        state.epoch = epoch
        examples = min(len(train), len(order))
        state.history.append(
            EpochStats(
                "train", epoch, dist.mean(total) * dist.world_size / examples, examples, time.perf_counter() - started
            )
        )
        if validation:
            state.track(validation_loss(model, validation, state.extra["centre"], config), model)
        if checkpoints:
            checkpoints.save(epoch, state.snapshot(model, optimizer, generator, order_generator))
    dist.release(wrapped)
    if state.best_weights is not None:
        model.load_state_dict(state.best_weights)
    return state.history


def validation_loss(
    model: BertLogAnomModel, windows: Sequence[Window], centre: torch.Tensor, config: BertLogAnomConfig
) -> float:
    """Mean total loss over ``windows`` with the same random masks every epoch (fixed generator seed)."""
    generator = torch.Generator().manual_seed(config.seed + 1)
    model.eval()
    total = 0.0
    with gradient_free():
        for batch in batches(windows, config.batch_size):
            mlkp, vectors = masked_forward(
                MaskedKeyPredictor(model), batch, random_mask(batch, config.mask_ratio, generator)
            )
            total += total_loss(mlkp, vectors, centre, config).item() * len(batch.lengths)
    return total / len(windows)
