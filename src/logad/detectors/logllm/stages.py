"""The training stages: which parts each one trains, and a stage as a configuration of the training loop (AdamW,
micro-batches with gradient accumulation, step-wise learning-rate decay, minority oversampling)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from logad.detectors.logllm.config import STAGES, LogLLMConfig
from logad.detectors.logllm.model import LogLLMModel
from logad.detectors.logllm.sampling import oversample_minority
from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed
from logad.train.history import EpochStats
from logad.train.loop import BatchTask, Epoch, LoopSettings, train_loop
from logad.train.schedules import StepDecay

# What each stage trains: the LLM's LoRA, the projector, the encoder's LoRA.
TRAINED_PARTS: dict[str, frozenset[str]] = {
    "llm": frozenset({"llm"}),
    "projector": frozenset({"projector"}),
    "embedder": frozenset({"projector", "encoder"}),
    "all": frozenset({"llm", "projector", "encoder"}),
}
LR_DECAYS_PER_STAGE = 10


def set_stage(model: LogLLMModel, stage: str) -> None:
    """Make exactly ``stage``'s parameters trainable (LoRA weights only inside the LLM and the encoder), put
    trained parts in train mode, and drop cached message vectors (the encoder may change)."""
    parts = TRAINED_PARTS[stage]
    for part, module in (("llm", model.llm), ("encoder", model.encoder)):
        for name, param in module.named_parameters():
            param.requires_grad = part in parts and "lora_" in name
        module.train(part in parts)
    for param in model.projector.parameters():
        param.requires_grad = "projector" in parts
    model.encoder_trainable = "encoder" in parts
    model.embedder.cache.clear()


def train_stage(
    model: LogLLMModel,
    windows: list[list[str]],
    labels: np.ndarray,
    stage: str,
    config: LogLLMConfig,
    show_progress: bool,
    checkpoints: EpochCheckpoints | None = None,
) -> list[EpochStats]:
    """Train ``stage`` in place; returns one record per epoch and leaves the model in eval mode. Each epoch is
    checkpointed to ``checkpoints``; a stage started with a checkpoint there resumes after its epoch."""
    settings = config.stage(stage)
    set_stage(model, stage)
    dist = distributed()
    rng = np.random.default_rng(config.seed + STAGES.index(stage))
    optimizer = torch.optim.AdamW([param for param in model.parameters() if param.requires_grad], lr=settings.lr)
    # Each process takes micro_batch_size windows per micro-step; accumulation keeps the effective batch.
    micro = config.micro_batch_size * dist.world_size
    per_epoch = len(oversample_minority(labels, config.minority_ratio, rng))
    per_epoch = min(per_epoch, settings.max_examples or per_epoch)
    decay_every = max(1, math.ceil(per_epoch / micro) * settings.epochs // (LR_DECAYS_PER_STAGE + 1))

    def epoch() -> Epoch:
        return Epoch.over(rng.permutation(oversample_minority(labels, config.minority_ratio, rng))[:per_epoch], micro)

    def loss(wrapped: nn.Module, local: list[int]) -> torch.Tensor:
        return wrapped([windows[i] for i in local], labels[local].tolist())

    def warm(_: nn.Module) -> None:
        """Under ZeRO-3 every rank must make the same forward calls: cache every message's vector on each."""
        if dist.zero3 and not model.encoder_trainable:
            model.embedder.warm([message for window in windows for message in window])

    loop = LoopSettings(
        stage,
        settings.epochs,
        accumulation=max(1, config.batch_size // micro),
        max_grad_norm=1.0,
        train_mode=False,  # set_stage chose each part's mode
        show_progress=show_progress,
    )
    schedule = StepDecay(optimizer, config.lr_decay, decay_every)
    history = train_loop(model, optimizer, BatchTask(epoch, loss, warm), loop, (rng,), schedule, checkpoints)
    end_stage(model)
    return history


def end_stage(model: LogLLMModel) -> None:
    """Back to inference: eval mode, message vectors from the (now fixed) encoder through a fresh cache."""
    model.eval()
    model.encoder_trainable = False
    model.embedder.cache.clear()
