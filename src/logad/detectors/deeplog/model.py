"""The network: key embedding, stacked LSTM over the history, linear layer to next-key logits."""

from __future__ import annotations

import torch
from torch import nn

from logad.detectors.deeplog.config import DeepLogConfig


class DeepLogModel(nn.Module):
    """Next-key logits over the ``vocab_size`` template IDs, and the boundary key ``vocab_size`` with ``end_key``,
    from a history of keys (padded with the boundary key)."""

    def __init__(self, config: DeepLogConfig, vocab_size: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size + 1, config.hidden)
        self.lstm = nn.LSTM(config.hidden, config.hidden, num_layers=config.layers, batch_first=True)
        self.head = nn.Linear(config.hidden, vocab_size + int(config.end_key))

    def forward(self, histories: torch.Tensor) -> torch.Tensor:
        """(B, h) keys -> (B, keys predicted) logits of the key that follows."""
        states, _ = self.lstm(self.embedding(histories))
        return self.head(states[:, -1])
