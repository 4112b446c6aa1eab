"""Batched, gradient-free forward passes over texts, in length order to keep padding small."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

from logad.detectors.logsentry.encoder import SequenceEncoder
from logad.train.distributed import gradient_free


def run_batched(
    forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    encoder: SequenceEncoder,
    texts: Sequence[str],
    batch_size: int,
    desc: str,
    show_progress: bool = False,
) -> np.ndarray:
    """``forward`` applied to ``texts`` in batches; rows come back in the order of ``texts``."""
    if not texts:
        return np.zeros(0, dtype=np.float32)
    order = np.argsort([len(text) for text in texts], kind="stable")
    parts: list[np.ndarray] = []
    with (
        gradient_free(),
        tqdm(total=len(texts), desc=desc, unit="text", disable=not show_progress, leave=False) as bar,
    ):
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            parts.append(forward(encoder.tokenize([texts[i] for i in idx])).float().numpy())
            bar.update(len(idx))
    out = np.concatenate(parts)
    result = np.empty_like(out)
    result[order] = out
    return result
