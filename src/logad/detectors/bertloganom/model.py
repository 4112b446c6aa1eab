"""The network: BERT over template tokens (+ gap embedding), gated residual BiLSTM, pooling, MLKP head."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers import BertConfig, BertModel

from logad.detectors.bertloganom.config import BertLogAnomConfig
from logad.detectors.bertloganom.inputs import GAP_BUCKETS, NUM_SPECIAL, PAD


class GatedResidualBiLSTM(nn.Module):
    """Stacked BiLSTM over the encoder states, projected back to ``hidden`` and mixed in through a sigmoid gate:
    ``g = sigmoid(W [enc; proj] + b)``, ``out = g * proj + (1 - g) * enc``."""

    def __init__(self, hidden: int, lstm_hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(
            hidden,
            lstm_hidden,
            num_layers=layers,
            bidirectional=True,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.project = nn.Linear(2 * lstm_hidden, hidden)
        self.gate = nn.Linear(2 * hidden, hidden)

    def forward(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        # packed, so that a window's output does not depend on how much padding its batch has
        packed = pack_padded_sequence(states, lengths.cpu(), batch_first=True, enforce_sorted=False)
        recurrent, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=states.shape[1])
        projected = self.project(recurrent)
        gate = torch.sigmoid(self.gate(torch.cat([states, projected], dim=-1)))
        return gate * projected + (1 - gate) * states


class Pooling(nn.Module):
    """Window vector from the states of its real tokens ([CLS] and events): [CLS] state, attention or mean."""

    def __init__(self, kind: str, hidden: int) -> None:
        super().__init__()
        self.kind = kind
        self.attention = nn.Linear(hidden, 1) if kind == "attention" else None

    def forward(self, states: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        if self.kind == "cls":
            return states[:, 0]
        if self.attention is not None:
            weights = self.attention(states).squeeze(-1).masked_fill(~real, float("-inf")).softmax(dim=1)
        else:
            weights = real.float() / real.sum(dim=1, keepdim=True)
        return torch.einsum("bl,blh->bh", weights, states)


class BertLogAnomModel(nn.Module):
    """From-scratch BERT fed ``inputs_embeds`` (token + gap embeddings; BERT adds learned positions), optional
    gated residual BiLSTM, a pooled window vector (VHM) and a linear head over template IDs (MLKP)."""

    def __init__(self, config: BertLogAnomConfig, vocab_size: int) -> None:
        super().__init__()
        bert_config = BertConfig(
            vocab_size=vocab_size + NUM_SPECIAL,
            hidden_size=config.hidden,
            num_hidden_layers=config.layers,
            num_attention_heads=config.heads,
            intermediate_size=config.intermediate,
            hidden_dropout_prob=config.dropout,
            attention_probs_dropout_prob=config.dropout,
            max_position_embeddings=config.max_len + 1,
            type_vocab_size=1,
            pad_token_id=PAD,
        )
        self.bert = BertModel(bert_config, add_pooling_layer=False)
        self.gap_embedding = nn.Embedding(GAP_BUCKETS, config.hidden) if config.use_time_gaps else None
        if self.gap_embedding is not None:  # BERT's scale, so that gaps do not drown the token embeddings
            nn.init.normal_(self.gap_embedding.weight, std=bert_config.initializer_range)
        self.recurrent = (
            GatedResidualBiLSTM(config.hidden, config.lstm_hidden, config.lstm_layers, config.dropout)
            if config.use_gr_bilstm
            else None
        )
        self.pooling = Pooling(config.pooling, config.hidden)
        self.head = nn.Linear(config.hidden, vocab_size)

    def forward(self, tokens: torch.Tensor, gaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-position states (B, L, H) and window vectors (B, H) of right-padded ``tokens``."""
        real = tokens != PAD
        embeddings = self.bert.get_input_embeddings()(tokens)
        if self.gap_embedding is not None:
            embeddings = embeddings + self.gap_embedding(gaps)
        states = self.bert(inputs_embeds=embeddings, attention_mask=real.long()).last_hidden_state
        if self.recurrent is not None:
            states = self.recurrent(states, real.sum(dim=1))
        return states, self.pooling(states, real)

    def predict(self, states: torch.Tensor) -> torch.Tensor:
        """Template logits (N, vocab) of selected position states (N, H)."""
        return self.head(states)
