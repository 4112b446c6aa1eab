"""Batched next-key prediction for distinct histories, and the events a window's predictions miss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from logad.detectors.deeplog.config import DeepLogConfig
from logad.detectors.deeplog.keys import Keys, histories
from logad.detectors.deeplog.model import DeepLogModel
from logad.parsing.preprocessor import UNKNOWN_ID


@dataclass
class Predictions:
    """Top-g next keys of each distinct history (H, g), and per window the history row of each event from its
    second on."""

    candidates: np.ndarray
    rows: list[np.ndarray]

    def top(self, window: int) -> np.ndarray:
        """(n - 1, g): the top-g keys predicted for each event of window ``window`` from its second on."""
        return self.candidates[self.rows[window]]


def predict(model: DeepLogModel, windows: Sequence[Keys], config: DeepLogConfig, pad: int) -> Predictions:
    """Predictions for ``windows``; every distinct history goes through the model once."""
    index: dict[Keys, int] = {}
    rows = [
        np.array([index.setdefault(h, len(index)) for h in histories(keys, config.history_size, pad)], dtype=np.int64)
        for keys in windows
    ]
    top_g = min(config.top_g, model.head.out_features)
    return Predictions(top_keys(model, list(index), top_g, config.batch_size), rows)


def top_keys(model: DeepLogModel, found: Sequence[Keys], top_g: int, batch_size: int) -> np.ndarray:
    """(len(found), top_g): the most likely next keys of each history, most likely first."""
    device = next(model.parameters()).device
    model.eval()
    parts = [np.zeros((0, top_g), dtype=np.int64)]
    with torch.inference_mode():
        for start in range(0, len(found), batch_size):
            batch = torch.tensor(found[start : start + batch_size], dtype=torch.long, device=device)
            parts.append(model(batch).topk(top_g, dim=-1).indices.cpu().numpy())
    return np.concatenate(parts)


def missed_events(keys: Keys, top: np.ndarray) -> np.ndarray:
    """(n,) bool: an event from the second on misses when its key is unknown or not among its ``top`` row; the
    first event (never predicted) misses only when its key is unknown."""
    ids = np.asarray(keys, dtype=np.int64)
    missed = ids == UNKNOWN_ID
    missed[1:] |= ~(top == ids[1:, None]).any(axis=1)
    return missed


def miss_fraction(keys: Keys, missed: np.ndarray) -> float:
    """Misses over scored events (every event from the second on, the first when unknown); 0 when none."""
    scored = max(len(keys) - 1, 0) + int(bool(keys) and keys[0] == UNKNOWN_ID)
    return float(missed.sum()) / scored if scored else 0.0
