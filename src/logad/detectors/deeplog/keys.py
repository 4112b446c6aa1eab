"""Windows to log keys, and log keys to (history, next key) pairs.

Every event from a window's second on is predicted from the up to ``history_size`` keys before it; shorter
histories are left-padded with the padding key, so windows shorter than h + 1 are scored too and the model learns
how windows begin. The padding key is ``vocab_size``, one past the last template ID; with ``end_key`` it also
follows a closed window's last event, so that the model learns how windows end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from logad.data.types import LogSequence
from logad.parsing.preprocessor import UNKNOWN_ID, Preprocessor

Keys = tuple[int, ...]
"""A window's template IDs: hashable, so identical windows and histories are handled once."""


def key_sequence(sequence: LogSequence, preprocessor: Preprocessor, vocab_size: int, end_key: bool = False) -> Keys:
    """The window's template IDs; IDs the model does not know (learnt after it was fitted) become UNKNOWN_ID. With
    ``end_key``, a closed (not ``open``) window ends with the boundary key ``vocab_size``."""
    keys = tuple(i if i < vocab_size else UNKNOWN_ID for i in preprocessor.template_ids(sequence.messages))
    return (*keys, vocab_size) if end_key and not sequence.open else keys


def histories(keys: Keys, history_size: int, pad: int) -> list[Keys]:
    """The history that predicts each event from the second on: the previous keys, left-padded to the size."""
    padded = (pad,) * history_size + keys
    return [padded[p : p + history_size] for p in range(1, len(keys))]


@dataclass
class Pairs:
    """Distinct (history, next key) pairs: ``histories`` (N, h), ``targets`` (N,), ``weights`` (N,)."""

    histories: torch.Tensor
    targets: torch.Tensor
    weights: torch.Tensor

    def __len__(self) -> int:
        return len(self.targets)

    def tolist(self) -> list[list[Any]]:
        """The pairs as JSON-serialisable lists (for checkpoint fingerprints)."""
        return [self.histories.tolist(), self.targets.tolist(), self.weights.tolist()]

    def take(self, indices: Sequence[int], device: torch.device) -> Pairs:
        """The pairs at ``indices`` on ``device``."""
        rows = torch.as_tensor(indices, dtype=torch.long)
        return Pairs(self.histories[rows].to(device), self.targets[rows].to(device), self.weights[rows].to(device))


def count_pairs(windows: Sequence[Keys], history_size: int, pad: int, distinct_only: bool) -> Pairs:
    """The distinct pairs of ``windows`` in first-seen order, weighted by occurrences (or 1 if ``distinct_only``)."""
    counts: Counter[tuple[Keys, int]] = Counter()
    for keys, repeats in Counter(windows).items():
        for history, target in zip(histories(keys, history_size, pad), keys[1:], strict=True):
            counts[history, target] += repeats
    pairs = list(counts)
    return Pairs(
        histories=torch.tensor([history for history, _ in pairs], dtype=torch.long).reshape(-1, history_size),
        targets=torch.tensor([target for _, target in pairs], dtype=torch.long),
        weights=torch.tensor([1 if distinct_only else counts[pair] for pair in pairs], dtype=torch.float32),
    )
