"""The training stages: which parts each one trains, and one stage's loop (AdamW, micro-batches with
gradient accumulation, step-wise learning-rate decay, minority oversampling), checkpointed after every epoch so a
killed stage resumes after its last finished epoch."""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from tqdm.auto import tqdm

from logad.detectors.logllm.config import STAGES, LogLLMConfig
from logad.detectors.logllm.model import LogLLMModel
from logad.detectors.logllm.sampling import oversample_minority
from logad.train.checkpoints import EpochCheckpoints
from logad.train.distributed import distributed
from logad.train.history import EpochStats

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
    """Train ``stage`` in place; returns one record per epoch and leaves the model in eval mode. After each epoch
    the trained weights, optimizer, step counter, learning rates, random generators and history go to
    ``checkpoints``; a stage started with a checkpoint there resumes after its epoch."""
    settings = config.stage(stage)
    set_stage(model, stage)
    dist = distributed()
    rng = np.random.default_rng(config.seed + STAGES.index(stage))
    trained = {name: param for name, param in model.named_parameters() if param.requires_grad}
    optimizer = torch.optim.AdamW(list(trained.values()), lr=settings.lr)
    resumed = checkpoints.latest() if checkpoints else None
    if resumed:
        with torch.no_grad():
            for name, value in resumed[1]["trained"].items():
                trained[name].copy_(value)
    wrapped, optimizer = dist.prepare(model, optimizer)
    if dist.zero3 and not model.encoder_trainable:
        model.embedder.warm([message for window in windows for message in window])
    params = [param for param in wrapped.parameters() if param.requires_grad]
    # Each process takes micro_batch_size windows per micro-step; accumulation keeps the effective batch.
    micro = config.micro_batch_size * dist.world_size
    accumulation = max(1, config.batch_size // micro)
    per_epoch = len(oversample_minority(labels, config.minority_ratio, rng))
    per_epoch = min(per_epoch, settings.max_examples or per_epoch)
    decay_every = max(1, math.ceil(per_epoch / micro) * settings.epochs // (LR_DECAYS_PER_STAGE + 1))
    history, step = [], 0
    if resumed:
        saved = resumed[1]
        if saved["optimizer"] is not None:
            optimizer.load_state_dict(saved["optimizer"])
        for group, lr in zip(optimizer.param_groups, saved["lrs"], strict=True):
            group["lr"] = lr
        rng.bit_generator.state = saved["numpy"]
        torch.set_rng_state(saved["torch"])
        step, history = saved["step"], [EpochStats(**record) for record in saved["history"]]
    for epoch in range(len(history) + 1, settings.epochs + 1):
        order = rng.permutation(oversample_minority(labels, config.minority_ratio, rng))[:per_epoch]
        started, total = time.perf_counter(), 0.0
        bar = tqdm(
            range(0, per_epoch, micro),
            desc=f"{stage} {epoch}/{settings.epochs}",
            unit="batch",
            disable=not show_progress,
            leave=False,
        )
        for start in bar:
            local, weight = dist.shard(order[start : start + micro].tolist())
            loss = wrapped([windows[i] for i in local], labels[local].tolist())
            step += 1
            boundary = step % accumulation == 0 or start + micro >= per_epoch
            dist.backward(loss * weight / accumulation, boundary)
            if boundary:
                dist.clip(params, 1.0)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            if step % decay_every == 0:
                for group in optimizer.param_groups:
                    group["lr"] *= config.lr_decay
            total += loss.item() * len(local) * (weight > 0)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        mean_loss = dist.mean(total) * dist.world_size / max(per_epoch, 1)
        history.append(EpochStats(stage, epoch, mean_loss, per_epoch, time.perf_counter() - started))
        if checkpoints:
            with dist.whole_weights(list(trained.values())):
                weights = {name: param.detach().cpu().clone() for name, param in trained.items()}
            snapshot = {
                "trained": weights,
                "optimizer": dist.optimizer_state(optimizer),
                "lrs": [group["lr"] for group in optimizer.param_groups],
                "numpy": rng.bit_generator.state,
                "torch": torch.get_rng_state(),
                "step": step,
                "history": [record.__dict__ for record in history],
            }
            checkpoints.save(epoch, snapshot)
    dist.release(wrapped)
    end_stage(model)
    return history


def end_stage(model: LogLLMModel) -> None:
    """Back to inference: eval mode, message vectors from the (now fixed) encoder through a fresh cache."""
    model.eval()
    model.encoder_trainable = False
    model.embedder.cache.clear()
