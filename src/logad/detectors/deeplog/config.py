"""Configuration of the DeepLog detector: the paper's settings as defaults, smaller presets beside them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from logad.config import require_positive, require_range


@dataclass
class DeepLogConfig:
    """DeepLog's log-key anomaly model.

    Paper values: ``history_size`` h = 10 previous keys, ``top_g`` g = 9 candidates, an LSTM of ``layers`` 2 x
    ``hidden`` 64. The paper trains until convergence; ``epochs`` 300, Adam at ``lr`` 1e-3 and ``batch_size``
    2048 (history, next) pairs follow its reference implementation. Keys enter through a learned embedding of width
    ``hidden`` (instead of one-hot vectors). ``patience`` epochs without a lower loss on the normal validation
    windows stop training early (when validation windows are given).

    Training pairs are deduplicated; each weighs how often it occurs in the training windows (the paper's loss,
    computed once per distinct pair), or 1 with ``train_on_distinct`` (every distinct transition learnt alike).

    ``end_key`` (not in the paper) predicts one more key after a closed window's last event: the boundary key that
    pads histories before the first one. A session that stops where normal ones never do (a write that never
    finished) then misses like an unexpected event, which next-key prediction alone cannot see.
    """

    history_size: int = 10
    top_g: int = 9
    layers: int = 2
    hidden: int = 64
    lr: float = 1e-3
    epochs: int = 300
    batch_size: int = 2048
    patience: int = 10
    train_on_distinct: bool = False
    end_key: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        require_positive(self, ("history_size", "top_g", "layers", "hidden", "epochs", "batch_size", "patience"))
        require_range("lr", self.lr, low_open=True)


# Overrides merged under a user's config by `logad train --preset NAME`.
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},
    # One CPU, minutes: fewer epochs, stop sooner.
    "cpu": {"epochs": 50, "patience": 5},
    # Unit tests: seconds.
    "tiny": {"hidden": 16, "layers": 1, "epochs": 3, "batch_size": 256, "lr": 1e-2},
}
