"""Message vectors: each preprocessed message through the encoder, its pooled [CLS] output (linear + tanh).

A masked log has few distinct messages, so vectors are computed once per distinct message: within a training
micro-batch when the encoder learns, and through a cache whenever its weights are fixed (inference, and the
training stages that freeze it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from logad.detectors.common.cache import LruCache
from logad.errors import ConfigError
from logad.train.distributed import gradient_free


class MessageEmbedder:
    """Encoder + tokenizer + a cache of frozen-weight vectors keyed by message text."""

    def __init__(
        self,
        encoder: nn.Module,
        tokenizer: PreTrainedTokenizerBase,
        max_tokens: int,
        cache_size: int,
        batch_size: int = 64,
    ) -> None:
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.cache: LruCache[torch.Tensor] = LruCache(cache_size)
        self.encoded = 0

    @property
    def hidden_size(self) -> int:
        return int(self.encoder.config.hidden_size)

    def _pooled(self, messages: Sequence[str]) -> torch.Tensor:
        device = next(self.encoder.parameters()).device
        batch = self.tokenizer(
            list(messages), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        ).to(device)
        self.encoded += len(messages)
        return self.encoder(**batch).pooler_output.float()

    def trainable_vectors(self, messages: Sequence[str]) -> tuple[torch.Tensor, list[int]]:
        """Vectors with gradients for the distinct ``messages`` and, per message, its row."""
        distinct, rows = distinct_rows(messages)
        return self._pooled(distinct), rows

    def warm(self, messages: Sequence[str]) -> None:
        """Encode every distinct message of ``messages`` into the cache now. Under ZeRO-3 each encoder call
        gathers the weights across ranks, so ranks must make the same calls: warming with the same messages on
        every rank leaves the training steps nothing to encode. Refuses when the cache cannot hold them all."""
        distinct = list(dict.fromkeys(messages))
        if len(distinct) > self.cache.capacity:
            raise ConfigError(
                f"{len(distinct):,} distinct messages exceed cache_size {self.cache.capacity:,}; under ZeRO-3 "
                "every message vector must stay cached while the encoder is frozen: raise cache_size"
            )
        self.cached_vectors(distinct)

    def cached_vectors(self, messages: Sequence[str], show_progress: bool = False) -> tuple[torch.Tensor, list[int]]:
        """Like ``trainable_vectors`` but without gradients, encoding only messages not cached yet."""
        distinct, rows = distinct_rows(messages)
        vectors = self.cache.lookup(distinct, lambda missing: self._frozen_vectors(missing, show_progress))
        device = next(self.encoder.parameters()).device
        return (torch.stack(vectors) if vectors else torch.zeros(0, self.hidden_size)).to(device), rows

    def _frozen_vectors(self, messages: list[str], show_progress: bool) -> list[torch.Tensor]:
        """Gradient-free vectors of ``messages`` (in their order), encoded in length-sorted batches."""
        order = np.argsort([len(message) for message in messages], kind="stable")
        vectors: list[torch.Tensor] = [torch.empty(0)] * len(messages)
        with (
            gradient_free(),
            tqdm(total=len(messages), desc="messages", unit="msg", disable=not show_progress, leave=False) as bar,
        ):
            for start in range(0, len(messages), self.batch_size):
                chunk = order[start : start + self.batch_size]
                for i, vector in zip(chunk, self._pooled([messages[i] for i in chunk]).cpu(), strict=True):
                    vectors[i] = vector.clone()
                bar.update(len(chunk))
        return vectors


def distinct_rows(messages: Sequence[str]) -> tuple[list[str], list[int]]:
    """The distinct messages in first-seen order and, per message, its index among them."""
    distinct = list(dict.fromkeys(messages))
    row = {message: i for i, message in enumerate(distinct)}
    return distinct, [row[message] for message in messages]
