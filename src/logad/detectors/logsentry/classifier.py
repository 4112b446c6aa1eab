"""The fine-tuned model: encoder + feed-forward layer + two-layer classifier head, one logit per window."""

from __future__ import annotations

import torch
from torch import nn

from logad.detectors.logsentry.encoder import SequenceEncoder

HEAD_PREFIXES = ("feed_forward.", "head.")


class LogSentryClassifier(nn.Module):
    """p_model = sigmoid(head(feed_forward(mean-pooled encoder output)))."""

    def __init__(self, encoder: SequenceEncoder, head_hidden: int, dropout: float) -> None:
        super().__init__()
        hidden = encoder.hidden_size
        self.encoder = encoder
        self.feed_forward = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(dropout))
        self.head = nn.Sequential(
            nn.Linear(hidden, head_hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(head_hidden, 1)
        )

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits of shape (B,)."""
        _, pooled = self.encoder(batch)
        return self.head(self.feed_forward(pooled)).squeeze(-1)

    def head_state_dict(self) -> dict[str, torch.Tensor]:
        """Weights of the layers above the encoder (the encoder is saved in the Hugging Face layout)."""
        return {k: v for k, v in self.state_dict().items() if k.startswith(HEAD_PREFIXES)}

    def load_head_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        missing, unexpected = self.load_state_dict(state, strict=False)
        problems = [k for k in missing if k.startswith(HEAD_PREFIXES)] + list(unexpected)
        if problems:
            raise ValueError(f"classifier head weights do not match the config: {', '.join(problems[:5])}")
