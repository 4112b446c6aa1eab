"""Masking (random for training, deterministic rounds for scoring), the MLKP and VHM losses, the VHM centre."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from logad.detectors.bertloganom.inputs import MASK, Batch

CENTRE_EPS = 0.1
"""Centre components closer to 0 than this are pushed out to +-CENTRE_EPS (Deep SVDD's guard against collapse)."""


def random_mask(batch: Batch, ratio: float, generator: torch.Generator) -> torch.Tensor:
    """(B, L) bool: round(ratio * n) event positions per window, at least one, chosen uniformly at random."""
    events = batch.events
    noise = torch.rand(events.shape, generator=generator).masked_fill(~events, 2.0)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    counts = torch.round(batch.lengths * ratio).clamp(min=1)
    return events & (ranks < counts[:, None])


def round_mask(batch: Batch, round_index: int, rounds: int) -> torch.Tensor:
    """(B, L) bool: the event positions p (1-based) with (p - 1) % rounds == round_index; over all rounds each
    event is masked exactly once."""
    positions = torch.arange(batch.tokens.shape[1])
    return batch.events & ((positions - 1) % rounds == round_index)


def apply_mask(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Tokens with the masked positions replaced by [MASK]."""
    return tokens.masked_fill(mask, MASK)


def mlkp_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Masked log key prediction: cross-entropy of the template predicted at each masked position."""
    return F.cross_entropy(logits, targets)


def vhm_loss(vectors: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """Volume of hypersphere minimisation: mean squared distance of window vectors to the (fixed) centre."""
    return squared_distance(vectors, centre).mean()


def squared_distance(vectors: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distance of each row of ``vectors`` to ``centre``."""
    return (vectors - centre).pow(2).sum(dim=-1)


def update_centre(centre: torch.Tensor | None, batch_mean: torch.Tensor, momentum: float) -> torch.Tensor:
    """EMA of detached batch means (the first batch's mean to start), kept away from 0; never trainable."""
    batch_mean = batch_mean.detach()
    updated = batch_mean if centre is None else momentum * centre + (1 - momentum) * batch_mean
    return away_from_zero(updated)


def away_from_zero(centre: torch.Tensor) -> torch.Tensor:
    """``centre`` with components in (-CENTRE_EPS, CENTRE_EPS) moved to +-CENTRE_EPS (keeping the sign)."""
    sign = torch.where(centre < 0, -1.0, 1.0)
    return torch.where(centre.abs() < CENTRE_EPS, sign * CENTRE_EPS, centre)
