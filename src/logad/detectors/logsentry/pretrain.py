"""Contrastive pre-training of the shared encoder: L = L_ttc + lambda * L_ttm over labelled pairs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from logad.detectors.logsentry.augment import cutoff_views
from logad.detectors.logsentry.config import LogSentryConfig
from logad.detectors.logsentry.encoder import SequenceEncoder
from logad.detectors.logsentry.losses import TextMatchingHead, info_nce, ttm_loss
from logad.detectors.logsentry.pairs import make_pairs
from logad.detectors.logsentry.training import MAX_GRAD_NORM, adam_with_warmup
from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed
from logad.train.history import EpochStats
from logad.train.loop import BatchTask, Epoch, LoopSettings, train_loop


class PairStep(nn.Module):
    """The pre-training loss of a batch of pairs: TTC on both sides of every pair, TTM on the pair."""

    def __init__(self, encoder: SequenceEncoder, config: LogSentryConfig, generator: torch.Generator) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = config
        self.generator = generator
        self.matcher = TextMatchingHead(encoder.hidden_size, config.dropout)

    def forward(self, u_texts: Sequence[str], v_texts: Sequence[str], pair_labels: torch.Tensor) -> torch.Tensor:
        u_batch, v_batch = self.encoder.tokenize(u_texts), self.encoder.tokenize(v_texts)
        u_states, u = self.encoder(u_batch)
        v_states, v = self.encoder(v_batch)
        ttc = (
            info_nce(u, self._cutoff_view(u_batch), self.config.ttc_temperature)
            + info_nce(v, self._cutoff_view(v_batch), self.config.ttc_temperature)
        ) / 2
        logits = self.matcher(u_states, u_batch["attention_mask"], v_states, v_batch["attention_mask"], u, v)
        return ttc + self.config.ttm_weight * ttm_loss(logits, pair_labels)

    def _cutoff_view(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        kinds, rate = self.config.cutoff_kinds, self.config.cutoff_rate
        with cutoff_views(self.encoder.model, batch["attention_mask"], kinds, rate, self.generator):
            return self.encoder(batch)[1]


def pretrain(
    encoder: SequenceEncoder,
    texts: Sequence[str],
    labels: np.ndarray,
    config: LogSentryConfig,
    show_progress: bool,
    checkpoints: EpochCheckpoints | None = None,
) -> list[EpochStats]:
    """Pre-train ``encoder`` in place for ``config.pretrain_epochs`` epochs; one pair per anchor window."""
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed + distributed().rank)
    step = PairStep(encoder, config, generator)
    pairs_per_epoch = min(len(texts), config.max_pairs_per_epoch or len(texts))
    steps_per_epoch = -(-pairs_per_epoch // config.pretrain_batch_size)
    optimizer, scheduler = adam_with_warmup(
        step, config.lr, config.weight_decay, config.warmup_ratio, steps_per_epoch * config.pretrain_epochs
    )
    pairs: dict[str, np.ndarray] = {}

    def epoch() -> Epoch:
        pairs["anchors"], pairs["partners"], pairs["labels"] = make_pairs(labels, pairs_per_epoch, rng)
        return Epoch.over(rng.permutation(len(pairs["anchors"])), config.pretrain_batch_size)

    def batch_loss(model: nn.Module, idx: list[int]) -> torch.Tensor:
        u_texts = [texts[i] for i in pairs["anchors"][idx]]
        v_texts = [texts[i] for i in pairs["partners"][idx]]
        return model(u_texts, v_texts, torch.as_tensor(pairs["labels"][idx]))

    settings = LoopSettings(
        "pretrain", config.pretrain_epochs, max_grad_norm=MAX_GRAD_NORM, show_progress=show_progress
    )
    task = BatchTask(epoch, batch_loss)
    return train_loop(step, optimizer, task, settings, (rng, generator), scheduler, checkpoints)
