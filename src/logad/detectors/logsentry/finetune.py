"""Fine-tuning: the classifier (encoder + feed-forward + two-layer head) with BCE on window labels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from logad.detectors.logsentry.classifier import LogSentryClassifier
from logad.detectors.logsentry.config import LogSentryConfig
from logad.detectors.logsentry.training import StageRandomness, adam_with_warmup, minibatches, run_stage
from logad.train.checkpoints import EpochCheckpoints
from logad.train.history import EpochStats


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

    def epoch_batches() -> tuple[int, list[np.ndarray]]:
        return len(texts), list(minibatches(len(texts), config.finetune_batch_size, rng))

    def batch_loss(model: torch.nn.Module, idx: list[int]) -> torch.Tensor:
        logits = model(classifier.encoder.tokenize([texts[i] for i in idx]))
        return F.binary_cross_entropy_with_logits(logits, targets[idx], pos_weight=pos_weight)

    return run_stage(
        "finetune",
        classifier,
        optimizer,
        scheduler,
        config.finetune_epochs,
        epoch_batches,
        batch_loss,
        show_progress,
        StageRandomness(rng),
        checkpoints,
    )


def _anomaly_weight(labels: np.ndarray) -> torch.Tensor:
    """BCE weight of anomalous examples: normal / anomalous count (1 when either class is absent)."""
    anomalous = int(labels.sum())
    normal = len(labels) - anomalous
    return torch.tensor(normal / anomalous if anomalous and normal else 1.0)
