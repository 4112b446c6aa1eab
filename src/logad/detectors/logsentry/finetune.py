"""Fine-tuning: the classifier (encoder + feed-forward + two-layer head) with BCE on window labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from logad.detectors.logsentry.classifier import LogSentryClassifier
from logad.detectors.logsentry.config import LogSentryConfig
from logad.detectors.logsentry.training import MAX_GRAD_NORM, adam_with_warmup
from logad.train.checkpoints import EpochCheckpoints
from logad.train.history import EpochStats
from logad.train.loop import BatchTask, Epoch, LoopSettings, train_loop


def finetune(
    classifier: LogSentryClassifier,
    texts: Sequence[str],
    labels: np.ndarray,
    config: LogSentryConfig,
    show_progress: bool,
    checkpoints: EpochCheckpoints | None = None,
) -> list[EpochStats]:
    """Train ``classifier`` in place for ``config.finetune_epochs`` epochs over every (text, label)."""
    rng = np.random.default_rng(config.seed + 1)
    steps_per_epoch = -(-len(texts) // config.finetune_batch_size)
    optimizer, scheduler = adam_with_warmup(
        classifier, config.lr, config.weight_decay, config.warmup_ratio, steps_per_epoch * config.finetune_epochs
    )
    targets = torch.as_tensor(labels, dtype=torch.float32)
    pos_weight = _anomaly_weight(labels) if config.balance_classes else None

    def epoch() -> Epoch:
        return Epoch.over(rng.permutation(len(texts)), config.finetune_batch_size)

    def batch_loss(model: torch.nn.Module, idx: list[int]) -> torch.Tensor:
        logits = model(classifier.encoder.tokenize([texts[i] for i in idx]))
        return F.binary_cross_entropy_with_logits(logits, targets[idx], pos_weight=pos_weight)

    settings = LoopSettings(
        "finetune", config.finetune_epochs, max_grad_norm=MAX_GRAD_NORM, show_progress=show_progress
    )
    task = BatchTask(epoch, batch_loss)
    return train_loop(classifier, optimizer, task, settings, (rng,), scheduler, checkpoints)


def _anomaly_weight(labels: np.ndarray) -> torch.Tensor:
    """BCE weight of anomalous examples: normal / anomalous count (1 when either class is absent)."""
    anomalous = int(labels.sum())
    normal = len(labels) - anomalous
    return torch.tensor(normal / anomalous if anomalous and normal else 1.0)
