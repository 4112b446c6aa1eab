"""ConSERT cutoff augmentation on the token-embedding matrix: token, feature and span cutoff."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn


def cutoff(
    embeddings: torch.Tensor, attention_mask: torch.Tensor, kind: str, rate: float, generator: torch.Generator
) -> torch.Tensor:
    """``embeddings`` (B, T, H) with a ``rate`` share zeroed per sequence.

    token: random token rows; feature: random embedding dimensions (columns); span: one contiguous run of
    tokens. Only real (unpadded) tokens are cut, and at least one row/column when ``rate`` > 0.
    """
    if rate <= 0.0:
        return embeddings
    keep = torch.ones_like(embeddings)
    hidden = embeddings.shape[-1]
    for row in range(embeddings.shape[0]):
        positions = attention_mask[row].nonzero().squeeze(1)
        if kind == "feature":
            cut = max(1, int(hidden * rate))
            keep[row, positions[:, None], torch.randperm(hidden, generator=generator)[:cut]] = 0.0
            continue
        cut = max(1, int(len(positions) * rate))
        if kind == "token":
            keep[row, positions[torch.randperm(len(positions), generator=generator)[:cut]]] = 0.0
        elif kind == "span":
            start = int(torch.randint(0, len(positions) - cut + 1, (1,), generator=generator))
            keep[row, positions[start : start + cut]] = 0.0
        else:
            raise ValueError(f"unknown cutoff kind {kind!r}")
    return embeddings * keep


@contextmanager
def cutoff_views(
    model: nn.Module, attention_mask: torch.Tensor, kinds: Sequence[str], rate: float, generator: torch.Generator
) -> Iterator[None]:
    """Within the block, the model's input embeddings are cut off (one kind per batch, drawn from ``kinds``)."""
    kind = kinds[int(torch.randint(0, len(kinds), (1,), generator=generator))]

    def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> torch.Tensor:
        return cutoff(output, attention_mask, kind, rate, generator)

    handle = model.get_input_embeddings().register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()
