"""The BERT-family sequence encoder: tokenizer + transformer + attention-masked mean pooling."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from logad.detectors.common.encoders import resolve_encoder
from logad.errors import ConfigError


def mean_pool(token_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of the token states where ``attention_mask`` is 1 (padding ignored)."""
    weights = attention_mask.unsqueeze(-1).to(token_states.dtype)
    return (token_states * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class SequenceEncoder(nn.Module):
    """A ``from_pretrained`` transformer with its tokenizer; ``forward`` gives token states and the pooled vector.

    Truncation keeps the *last* ``max_tokens`` tokens, like window truncation keeps the most recent events.
    """

    def __init__(self, model: nn.Module, tokenizer: PreTrainedTokenizerBase, max_tokens: int) -> None:
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.tokenizer.truncation_side = "left"
        self.max_tokens = min(max_tokens, _position_limit(model))

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, max_tokens: int) -> SequenceEncoder:
        """Load model and tokenizer from a name or directory (the packaged default resolves to a local path)."""
        path = resolve_encoder(str(name_or_path))
        try:
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModel.from_pretrained(path)
        except OSError as exc:
            raise ConfigError(f"cannot load encoder {name_or_path!r}: {exc}") from None
        return cls(model, tokenizer, max_tokens)

    def save_pretrained(self, directory: Path) -> None:
        """Write weights and tokenizer in the Hugging Face layout (loadable by ``from_pretrained``)."""
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Padded, truncated token IDs and attention mask for ``texts``."""
        return self.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
        )

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(token states (B, T, H), mean-pooled sequence vectors (B, H))."""
        states = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        return states, mean_pool(states, batch["attention_mask"])


def _position_limit(model: nn.Module) -> int:
    """How many tokens the model's position embeddings allow (BERT: 512)."""
    return int(getattr(model.config, "max_position_embeddings", 512))
