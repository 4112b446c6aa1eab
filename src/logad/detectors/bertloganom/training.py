"""BERT-LogAnom's part of the training loop: AdamW on mlkp_weight x MLKP + vhm_weight x VHM around a moving
hypersphere centre, early stopping on the validation loss."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from logad.detectors.bertloganom.config import BertLogAnomConfig
from logad.detectors.bertloganom.inputs import NUM_SPECIAL, Batch, Window, batches, collate
from logad.detectors.bertloganom.losses import apply_mask, mlkp_loss, random_mask, update_centre, vhm_loss
from logad.detectors.bertloganom.model import BertLogAnomModel
from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed, gradient_free
from logad.train.history import EpochStats
from logad.train.loop import Epoch, LoopSettings, StepLoss, Task, train_loop

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
    masks = torch.Generator().manual_seed(config.seed + distributed().rank)
    order = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    task = MaskedKeyTask(model, train, validation, config, masks, order)
    settings = LoopSettings(
        "train", config.epochs, max_grad_norm=MAX_GRAD_NORM, patience=config.patience, show_progress=show_progress
    )
    return train_loop(MaskedKeyPredictor(model), optimizer, task, settings, (masks, order), checkpoints=checkpoints)


class MaskedKeyTask(Task):
    """Shuffled batches of windows with random masks; each step moves the hypersphere centre (a mean over every
    rank's windows) and takes the total loss against it."""

    def __init__(
        self,
        model: BertLogAnomModel,
        train: Sequence[Window],
        validation: Sequence[Window],
        config: BertLogAnomConfig,
        masks: torch.Generator,
        order: torch.Generator,
    ) -> None:
        self.model, self.train, self.validation, self.config = model, train, validation, config
        self.masks, self.order = masks, order
        self.centre: torch.Tensor | None = None

    def epoch(self) -> Epoch:
        return Epoch.over(torch.randperm(len(self.train), generator=self.order).tolist(), self.config.batch_size)

    def step(self, model: nn.Module, indices: Sequence[int], local: list[int], weight: float) -> StepLoss:
        config = self.config
        batch = collate([self.train[i] for i in local])
        mlkp, vectors = masked_forward(model, batch, random_mask(batch, config.mask_ratio, self.masks))
        count = len(local) if weight else 0
        self.centre = update_centre(self.centre, distributed().mean_of(vectors, count), config.centre_momentum)
        return StepLoss(total_loss(mlkp, vectors, self.centre, config), weight, count)

    def validation_loss(self) -> float | None:
        return validation_loss(self.model, self.validation, self.centre, self.config) if self.validation else None

    def state(self) -> dict[str, Any]:
        return {"centre": self.centre}

    def restore(self, state: dict[str, Any]) -> None:
        self.centre = state["centre"]


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
