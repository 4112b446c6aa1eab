"""What both training stages share: Adam with linear warm-up/decay and clipped gradients."""

from __future__ import annotations

import torch
from torch import nn
from transformers import get_linear_schedule_with_warmup

MAX_GRAD_NORM = 1.0


def adam_with_warmup(
    module: nn.Module, lr: float, weight_decay: float, warmup_ratio: float, total_steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """Adam(W) and a schedule rising linearly over the first ``warmup_ratio`` of steps, then decaying to 0."""
    optimizer = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    warmup = round(warmup_ratio * total_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, max(total_steps, 1))
