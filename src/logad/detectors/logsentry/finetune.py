"""Fine-tuning: the classifier (encoder + feed-forward + two-layer head) with BCE on window labels."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from logad.detectors.logsentry.classifier import LogSentryClassifier
from logad.detectors.logsentry.config import LogSentryConfig
from logad.detectors.logsentry.training import adam_with_warmup, minibatches, optimizer_step
from logad.train.history import EpochStats


def finetune(
    classifier: LogSentryClassifier,
    texts: Sequence[str],
    labels: np.ndarray,
    config: LogSentryConfig,
    show_progress: bool,
) -> list[EpochStats]:
    """Train ``classifier`` in place for ``config.finetune_epochs`` epochs over every (text, label)."""
    rng = np.random.default_rng(config.seed + 1)
    steps_per_epoch = -(-len(texts) // config.finetune_batch_size)
    optimizer, scheduler = adam_with_warmup(
        classifier, config.lr, config.weight_decay, config.warmup_ratio, steps_per_epoch * config.finetune_epochs
    )
    targets = torch.as_tensor(labels, dtype=torch.float32)
    classifier.train()
    history = []
    for epoch in range(1, config.finetune_epochs + 1):
        started, total = time.perf_counter(), 0.0
        bar = tqdm(
            minibatches(len(texts), config.finetune_batch_size, rng),
            total=steps_per_epoch,
            desc=f"fine-tune {epoch}/{config.finetune_epochs}",
            unit="batch",
            disable=not show_progress,
            leave=False,
        )
        for idx in bar:
            logits = classifier(classifier.encoder.tokenize([texts[i] for i in idx]))
            loss = F.binary_cross_entropy_with_logits(logits, targets[idx])
            optimizer_step(loss, optimizer, scheduler)
            total += loss.item() * len(idx)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        history.append(
            EpochStats("finetune", epoch, total / max(len(texts), 1), len(texts), time.perf_counter() - started)
        )
    classifier.eval()
    return history
