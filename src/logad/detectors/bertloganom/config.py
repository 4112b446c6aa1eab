"""Configuration of the BERT-LogAnom detector: the paper's settings as defaults, smaller presets beside them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from logad.config import require_positive, require_range

POOLINGS = ("cls", "attention", "mean")
KEY_SCORES = ("top_g", "surprisal", "max_surprisal")


@dataclass
class BertLogAnomConfig:
    """BERT-LogAnom: a from-scratch BERT over template IDs, a gated residual BiLSTM, two self-supervised losses.

    Paper values: 12 layers x 768 hidden x 12 heads, two BiLSTM layers of ``lstm_hidden`` 128 per direction,
    loss ``mlkp_weight`` 1.0 x MLKP + ``vhm_weight`` 0.2 x VHM, ``mask_ratio`` 0.15. The rest follows LogBERT
    (AdamW, lr 1e-4, batch 32, ``top_g`` 5) or is this implementation's choice.

    Input: the last ``max_len`` events of a window after a [CLS] token. ``use_time_gaps`` adds an embedding of
    the bucketised log gap to the previous event (bucket 0 when timestamps are missing). ``use_gr_bilstm``
    puts the gated residual BiLSTM on the encoder output; ``pooling`` (cls | attention | mean) makes the
    window vector for VHM. The VHM centre is an EMA (``centre_momentum``) of detached batch means while
    training, then the mean training-window vector. ``end_token`` appends an end-of-window key to every closed
    window, masked and predicted like an event, so that a window which stops where normal ones do not (a write
    that never finished) is as unexpected as a wrong event. ``order_ties`` sorts each run of events logged at the
    same timestamp by template ID, so that lines of several processes racing within one second (HDFS) read as one
    sequence whatever their interleaving.

    Score: ``alpha`` x key score + (1 - ``alpha``) x distance to the centre / mean training distance. Every event
    is masked once over ``scoring_rounds`` deterministic rounds; ``key_score`` ``top_g`` (the paper) is the share
    of events whose template is not among the ``top_g`` predictions, ``surprisal`` the mean negative
    log-probability of the events' templates, ``max_surprisal`` that of the least expected one (an event the model
    never saw after such a context weighs by how unexpected it is, not by how many templates rank above it).
    ``train_on_distinct`` trains on each distinct window once per epoch; ``patience`` epochs without a lower
    validation loss stop training early (when validation windows are given).
    """

    hidden: int = 768
    layers: int = 12
    heads: int = 12
    intermediate: int = 3072
    dropout: float = 0.1
    max_len: int = 128
    use_time_gaps: bool = True
    use_gr_bilstm: bool = True
    lstm_hidden: int = 128
    lstm_layers: int = 2
    pooling: str = "attention"
    mask_ratio: float = 0.15
    mlkp_weight: float = 1.0
    vhm_weight: float = 0.2
    centre_momentum: float = 0.9
    top_g: int = 5
    key_score: str = "top_g"
    end_token: bool = False
    order_ties: bool = False
    alpha: float = 0.5
    lr: float = 1e-4
    weight_decay: float = 0.01
    epochs: int = 10
    batch_size: int = 32
    patience: int = 3
    train_on_distinct: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        require_positive(
            self,
            (
                "hidden",
                "layers",
                "heads",
                "intermediate",
                "max_len",
                "lstm_hidden",
                "lstm_layers",
                "top_g",
                "epochs",
                "batch_size",
                "patience",
            ),
        )
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {self.pooling!r}")
        if self.key_score not in KEY_SCORES:
            raise ValueError(f"key_score must be one of {', '.join(KEY_SCORES)}, not {self.key_score!r}")
        if self.end_token and self.max_len < 2:
            raise ValueError("end_token needs max_len >= 2 (one event and the end key)")
        require_range("mask_ratio", self.mask_ratio, low_open=True, high_open=True)
        require_range("dropout", self.dropout, high_open=True)
        require_range("centre_momentum", self.centre_momentum, high_open=True)
        require_range("alpha", self.alpha)
        require_range("lr", self.lr, low_open=True)
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, not {self.weight_decay}")
        if min(self.mlkp_weight, self.vhm_weight) < 0 or self.mlkp_weight + self.vhm_weight == 0:
            raise ValueError("mlkp_weight and vhm_weight must be >= 0 and not both 0")

    @property
    def events_kept(self) -> int:
        """Events of a window the model reads (the last ones): ``max_len``, less one for the end key."""
        return self.max_len - int(self.end_token)

    @property
    def scoring_rounds(self) -> int:
        """Deterministic masking rounds at scoring time: each masks about ``mask_ratio`` of the events."""
        return math.ceil(1 / self.mask_ratio)


# Overrides merged under a user's config by `logad train --preset NAME`.
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},
    # One CPU, minutes not hours: a small encoder, shorter windows, distinct windows only; scored by the least
    # expected event (end key included, same-second races ordered), as validation chose (docs/detectors/bertloganom.md).
    "cpu": {
        "hidden": 64,
        "layers": 2,
        "heads": 4,
        "intermediate": 128,
        "lstm_hidden": 32,
        "max_len": 64,
        "epochs": 30,
        "batch_size": 64,
        "lr": 1e-3,
        "train_on_distinct": True,
        "end_token": True,
        "order_ties": True,
        "key_score": "max_surprisal",
        "alpha": 1.0,
    },
    # Unit tests: seconds.
    "tiny": {
        "hidden": 32,
        "layers": 1,
        "heads": 2,
        "intermediate": 64,
        "lstm_hidden": 16,
        "max_len": 32,
        "epochs": 2,
        "batch_size": 16,
        "lr": 3e-3,
        "dropout": 0.0,
        "train_on_distinct": True,
    },
}
