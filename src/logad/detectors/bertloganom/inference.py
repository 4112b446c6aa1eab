"""Deterministic masked inference: every event is masked once over ``scoring_rounds`` rounds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from logad.detectors.bertloganom.config import BertLogAnomConfig
from logad.detectors.bertloganom.inputs import NUM_SPECIAL, Batch, Window, batches
from logad.detectors.bertloganom.losses import apply_mask, round_mask
from logad.detectors.bertloganom.model import BertLogAnomModel

MIN_PROBABILITY = 1e-12
"""Floor of a predicted probability in ``surprisal`` (an event the model rules out weighs -log 1e-12, about 28)."""


@dataclass
class Inspection:
    """What the model makes of each window, positions in kept-event order.

    ``vectors``: window vector averaged over the rounds that mask something (N, H); ``probabilities``: the
    predicted probability of the true template per event; ``hits``: whether the true template is among the
    ``top_g`` predictions; ``candidates`` (only when asked for, they take memory): those predictions (n, g).
    """

    vectors: np.ndarray
    probabilities: list[np.ndarray]
    hits: list[np.ndarray]
    candidates: list[np.ndarray] | None = None

    @property
    def miss(self) -> np.ndarray:
        """Fraction of each window's events whose template is not among the top-g predictions (0 if empty)."""
        return np.array([float(np.mean(~hit)) if hit.size else 0.0 for hit in self.hits])

    @property
    def surprisal(self) -> np.ndarray:
        """Mean negative log-probability of each window's templates (0 if empty)."""
        return np.array([events.mean() if events.size else 0.0 for events in self._surprisals])

    @property
    def max_surprisal(self) -> np.ndarray:
        """Negative log-probability of each window's least expected template (0 if empty)."""
        return np.array([events.max() if events.size else 0.0 for events in self._surprisals])

    @cached_property
    def _surprisals(self) -> list[np.ndarray]:
        """Negative log-probability of each event's template, per window (computed once for both reductions)."""
        return [-np.log(np.maximum(p, MIN_PROBABILITY)) for p in self.probabilities]


def inspect(
    model: BertLogAnomModel, windows: Sequence[Window], config: BertLogAnomConfig, with_candidates: bool = False
) -> Inspection:
    """Inspection of ``windows``, batched by similar length (less padding), returned in input order."""
    order = np.argsort([len(ids) for ids, _ in windows], kind="stable")
    model.eval()
    with torch.inference_mode():
        parts = [
            _inspect_batch(model, batch, config, with_candidates)
            for batch in batches(windows, config.batch_size, order)
        ]
    restore = np.argsort(order)
    vectors = np.concatenate([p.vectors for p in parts]) if parts else np.zeros((0, config.hidden))
    return Inspection(
        vectors=vectors[restore],
        probabilities=_reorder([p.probabilities for p in parts], restore),
        hits=_reorder([p.hits for p in parts], restore),
        candidates=_reorder([p.candidates or [] for p in parts], restore) if with_candidates else None,
    )


def _reorder(parts: list[list[np.ndarray]], restore: np.ndarray) -> list[np.ndarray]:
    flat = [item for part in parts for item in part]
    return [flat[i] for i in restore]


def _inspect_batch(
    model: BertLogAnomModel, batch: Batch, config: BertLogAnomConfig, with_candidates: bool
) -> Inspection:
    rounds = config.scoring_rounds
    lengths = batch.lengths
    top_g = min(config.top_g, model.head.out_features)
    vector_sum = torch.zeros(len(lengths), config.hidden)
    probabilities = torch.zeros(batch.tokens.shape)
    candidates = torch.zeros((*batch.tokens.shape, top_g), dtype=torch.long)
    for round_index in range(min(rounds, max(1, int(lengths.max())))):
        mask = round_mask(batch, round_index, rounds)
        states, vectors = model(apply_mask(batch.tokens, mask), batch.gaps)
        active = round_index < lengths.clamp(min=1)
        vector_sum += vectors * active[:, None]
        predicted = model.predict(states[mask]).softmax(dim=-1)
        targets = batch.tokens[mask] - NUM_SPECIAL
        probabilities[mask] = predicted.gather(1, targets[:, None]).squeeze(1)
        candidates[mask] = predicted.topk(top_g, dim=-1).indices
    vectors = (vector_sum / lengths.clamp(min=1, max=rounds)[:, None]).double().numpy()
    targets = batch.tokens - NUM_SPECIAL
    hits = (candidates == targets[..., None]).any(dim=-1)
    events = [slice(1, 1 + n) for n in lengths.tolist()]
    return Inspection(
        vectors=vectors,
        probabilities=[probabilities[row, span].numpy() for row, span in enumerate(events)],
        hits=[hits[row, span].numpy() for row, span in enumerate(events)],
        candidates=[candidates[row, span].numpy() for row, span in enumerate(events)] if with_candidates else None,
    )
