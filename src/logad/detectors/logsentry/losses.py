"""LogSentry's pre-training losses: TTC (InfoNCE between a sequence and its cutoff view) and TTM (pair matching)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def info_nce(anchors: torch.Tensor, positives: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE: row i of ``anchors`` should match row i of ``positives`` among all rows (cosine / tau)."""
    a = F.normalize(anchors, dim=-1)
    p = F.normalize(positives, dim=-1)
    logits = a @ p.T / temperature
    targets = torch.arange(len(a), device=a.device)
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2


def cross_attend(u_states: torch.Tensor, v_states: torch.Tensor, v_mask: torch.Tensor) -> torch.Tensor:
    """X = softmax(U V^T / sqrt(H)) V: each token of U attends over V's real tokens. Shape (B, Tu, H)."""
    scores = u_states @ v_states.transpose(1, 2) / math.sqrt(u_states.shape[-1])
    scores = scores.masked_fill(v_mask[:, None, :] == 0, torch.finfo(scores.dtype).min)
    return torch.softmax(scores, dim=-1) @ v_states


class TextMatchingHead(nn.Module):
    """TTM: softmax(W [x; u; v; |u - v|]) over (similar, dissimilar), x the mean of U's cross-attention over V."""

    def __init__(self, hidden: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(4 * hidden, 2)

    def forward(
        self,
        u_states: torch.Tensor,
        u_mask: torch.Tensor,
        v_states: torch.Tensor,
        v_mask: torch.Tensor,
        u: torch.Tensor,
        v: torch.Tensor,
    ) -> torch.Tensor:
        """Logits (B, 2): column 1 = the pair is dissimilar (normal vs abnormal)."""
        attended = cross_attend(u_states, v_states, v_mask)
        weights = u_mask.unsqueeze(-1).to(attended.dtype)
        x = (attended * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return self.classifier(self.dropout(torch.cat([x, u, v, (u - v).abs()], dim=-1)))


def ttm_loss(logits: torch.Tensor, pair_labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the pair classifier (label 0 similar, 1 dissimilar)."""
    return F.cross_entropy(logits, pair_labels)
