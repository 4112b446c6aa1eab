"""Training loop: AdamW on mlkp_weight x MLKP + vhm_weight x VHM, early stopping on the validation loss."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from tqdm.auto import tqdm

from logad.detectors.bertloganom.config import BertLogAnomConfig
from logad.detectors.bertloganom.inputs import NUM_SPECIAL, Batch, Window, batches
from logad.detectors.bertloganom.losses import apply_mask, mlkp_loss, random_mask, update_centre, vhm_loss
from logad.detectors.bertloganom.model import BertLogAnomModel

MAX_GRAD_NORM = 1.0


def masked_forward(model: BertLogAnomModel, batch: Batch, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """MLKP loss and window vectors of ``batch`` with the ``mask`` positions replaced by [MASK]."""
    states, vectors = model(apply_mask(batch.tokens, mask), batch.gaps)
    return mlkp_loss(model.predict(states[mask]), batch.tokens[mask] - NUM_SPECIAL), vectors


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
) -> None:
    """Train ``model`` in place on non-empty windows; with ``validation`` keep the epoch of lowest loss."""
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    centre: torch.Tensor | None = None
    best_loss, best_state, stale = math.inf, None, 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(len(train), generator=generator).tolist()
        bar = tqdm(
            batches(train, config.batch_size, order),
            total=math.ceil(len(train) / config.batch_size),
            desc=f"bertloganom {epoch}/{config.epochs}",
            unit="batch",
            disable=not show_progress,
        )
        for batch in bar:
            mlkp, vectors = masked_forward(model, batch, random_mask(batch, config.mask_ratio, generator))
            centre = update_centre(centre, vectors.mean(dim=0), config.centre_momentum)
            loss = total_loss(mlkp, vectors, centre, config)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
            optimizer.step()
            bar.set_postfix(loss=f"{loss.item():.3f}", mlkp=f"{mlkp.item():.3f}")
        if not validation:
            continue
        held_out_loss = validation_loss(model, validation, centre, config)
        if held_out_loss < best_loss:
            best_loss, stale = held_out_loss, 0
            best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
        else:
            stale += 1
            if stale >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)


def validation_loss(
    model: BertLogAnomModel, windows: Sequence[Window], centre: torch.Tensor, config: BertLogAnomConfig
) -> float:
    """Mean total loss over ``windows`` with the same random masks every epoch (fixed generator seed)."""
    generator = torch.Generator().manual_seed(config.seed + 1)
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for batch in batches(windows, config.batch_size):
            mlkp, vectors = masked_forward(model, batch, random_mask(batch, config.mask_ratio, generator))
            total += total_loss(mlkp, vectors, centre, config).item() * len(batch.lengths)
    return total / len(windows)
