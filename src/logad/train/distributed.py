"""Training across processes through accelerate: the same loop runs as one process on a laptop or under
``torchrun`` / ``accelerate launch`` with any number of processes (DDP: gloo on CPUs, NCCL on GPUs).

Every rank walks the same global batches (data order comes from the config seed) and computes its shard of
each; DDP averages the gradients, and shard weights make that average the full batch's mean gradient, so a run's
result does not depend on the number of processes beyond floating-point and per-rank randomness (dropout and
masking are seeded per rank). Rank 0 alone writes artifacts, checkpoints and logs.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from logad.errors import ConfigError
from logad.train.ranks import world_size


@dataclass
class Distributed:
    """This process's place in the run, and the operations the training loops use: accelerate's when the run has
    several processes (or DeepSpeed), plain torch for a single process (no accelerate import, no launcher)."""

    accelerator: Any | None = None

    @property
    def rank(self) -> int:
        return int(self.accelerator.process_index) if self.accelerator else 0

    @property
    def world_size(self) -> int:
        return int(self.accelerator.num_processes) if self.accelerator else 1

    @property
    def deepspeed(self) -> bool:
        return self.accelerator is not None and self.accelerator.state.deepspeed_plugin is not None

    @property
    def zero3(self) -> bool:
        """Whether DeepSpeed partitions the weights themselves (ZeRO stage 3) across the ranks."""
        return self.deepspeed and self.accelerator.state.deepspeed_plugin.zero_stage == 3

    @property
    def device(self) -> torch.device:
        if self.accelerator:
            return self.accelerator.device
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def prepare(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple[nn.Module, torch.optim.Optimizer]:
        """Model and optimizer wrapped for this run (DDP or DeepSpeed when there is an accelerator)."""
        if self.accelerator is None:
            return model, optimizer
        return self.accelerator.prepare(model, optimizer)

    def whole_weights(self, params: list[nn.Parameter]) -> contextlib.AbstractContextManager:
        """A context in which ``params`` hold their whole values: under ZeRO-3 they are gathered on every rank
        (so every rank must enter it), otherwise they already do."""
        if not self.zero3:
            return contextlib.nullcontext()
        import deepspeed

        return deepspeed.zero.GatheredParameters(params, modifier_rank=None)

    def state_dict(self, module: nn.Module) -> dict[str, torch.Tensor]:
        """A copy of ``module``'s full weights (for early stopping and checkpoints); every rank calls it."""
        with self.whole_weights(list(module.parameters())):
            return {name: value.detach().clone() for name, value in module.state_dict().items()}

    def optimizer_state(self, optimizer: torch.optim.Optimizer) -> dict[str, Any] | None:
        """The optimizer's state for a checkpoint; None under DeepSpeed, whose ZeRO stages partition it across the
        ranks (a resumed DeepSpeed run keeps the weights, counters and generators and restarts the moments)."""
        return None if self.deepspeed else optimizer.state_dict()

    def release(self, wrapped: nn.Module) -> None:
        """End a training loop (every rank calls it): accelerate forgets the wrapped model and optimizer, so the
        next loop (a later stage) gets its own DeepSpeed engine rather than stepping this one. Under ZeRO-3 the
        partitioned weights are first gathered back into the model as plain parameters and DeepSpeed's hooks
        removed, so rank 0 can score the model alone and a later stage can prepare it again."""
        if self.accelerator is None:
            return
        if not self.zero3:
            self.accelerator.free_memory()  # destroys a ZeRO-1/2 engine
            return
        module = wrapped.module
        params = list(module.parameters())
        with self.whole_weights(params):
            whole = {id(p): nn.Parameter(p.data.clone(), requires_grad=p.requires_grad) for p in params}
        self.accelerator.free_memory()  # destroys the engine, and with it DeepSpeed's hooks
        for sub in module.modules():  # fresh parameter objects, without DeepSpeed's attributes; ties kept
            sub._parameters = OrderedDict(
                (name, None if p is None else whole[id(p)]) for name, p in sub._parameters.items()
            )

    def backward(self, loss: torch.Tensor, boundary: bool = True) -> None:
        """Backpropagate ``loss``; ``boundary`` False for a micro-batch whose gradients accumulate before the
        optimizer steps (DeepSpeed steps inside backward at a boundary, so it must be told)."""
        if self.accelerator is None:
            loss.backward()
            return
        if self.deepspeed:
            self.accelerator.gradient_state._set_sync_gradients(boundary)
        self.accelerator.backward(loss)

    def clip(self, parameters: Any, max_norm: float) -> None:
        """Clip the gradient norm (DeepSpeed clips by its config's ``gradient_clipping`` instead)."""
        if self.accelerator is None:
            torch.nn.utils.clip_grad_norm_(parameters, max_norm)
        else:
            self.accelerator.clip_grad_norm_(parameters, max_norm)

    def shard(self, indices: Sequence[int]) -> tuple[list[int], float]:
        """This rank's contiguous share of a global batch and the weight that makes DDP's gradient average equal
        the whole batch's mean gradient (world x share / batch). A rank left without examples gets the first
        one at weight 0, so every rank still runs the forward and backward pass DDP waits for."""
        parts = np.array_split(np.asarray(indices), self.world_size)
        local = parts[self.rank].tolist()
        if not local:
            return [int(indices[0])], 0.0
        return local, self.world_size * len(local) / len(indices)

    def mean_of(self, rows: torch.Tensor, count: int) -> torch.Tensor:
        """The mean of ``rows`` over every rank's first ``count`` rows (a batch statistic all ranks agree on)."""
        total = rows[:count].detach().sum(dim=0)
        if self.accelerator is not None:
            total = self.accelerator.reduce(total, reduction="sum")
            count = int(self.accelerator.reduce(torch.tensor(count, device=self.device), reduction="sum"))
        return total / max(count, 1)

    def mean(self, value: float) -> float:
        """The mean of ``value`` over ranks (for logged losses)."""
        if self.accelerator is None:
            return value
        return float(self.accelerator.reduce(torch.tensor(value, device=self.device), reduction="mean"))


@functools.cache
def distributed() -> Distributed:
    """The run's Distributed, created once per process from the launcher's environment (WORLD_SIZE, RANK, ...)."""
    deepspeed = os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() == "true"  # set by `accelerate launch`
    if world_size() == 1 and not deepspeed:
        return Distributed()
    from accelerate import Accelerator, DistributedDataParallelKwargs, InitProcessGroupKwargs

    no_gpu = not torch.cuda.is_available()
    handlers: list[Any] = [DistributedDataParallelKwargs(find_unused_parameters=True)]
    if no_gpu and world_size() > 1:
        handlers.append(InitProcessGroupKwargs(backend="gloo"))
    # accelerate's cpu flag turns DeepSpeed off; without it DeepSpeed runs on its CPU accelerator over gloo.
    return Distributed(Accelerator(cpu=no_gpu and not deepspeed, kwargs_handlers=handlers))


def gradient_free() -> contextlib.AbstractContextManager:
    """``torch.inference_mode()``, or ``torch.no_grad()`` under ZeRO-3: weights gathered inside inference mode
    would become inference tensors, which the training steps after a validation or caching pass cannot use."""
    return torch.no_grad() if distributed().zero3 else torch.inference_mode()


def deepspeed_config(name: str) -> Path:
    """The path of a shipped DeepSpeed config: ``zero2`` / ``zero3`` (ZeRO stage 2: optimizer state and gradients
    partitioned; stage 3: the weights too) or ``zero2_offload`` / ``zero3_offload`` (partitions kept in CPU
    memory)."""
    path = Path(__file__).with_name("deepspeed") / f"{name}.json"
    if not path.is_file():
        shipped = sorted(p.stem for p in path.parent.glob("*.json"))
        raise ConfigError(f"no shipped DeepSpeed config {name!r}; shipped: {', '.join(shipped)}")
    return path


def use_deepspeed(name: str) -> None:
    """Train this run under DeepSpeed with the shipped config ``name``: the environment `accelerate launch
    --use_deepspeed --deepspeed_config_file` would set, which the Accelerator reads when the run starts. DeepSpeed
    needs a process group, so the process must come from a launcher (torchrun sets WORLD_SIZE; the pipelines'
    training steps run under it)."""
    path = deepspeed_config(name)
    if "WORLD_SIZE" not in os.environ:
        raise ConfigError("--deepspeed needs a launcher: run `torchrun ... -m logad -- train ...`")
    os.environ["ACCELERATE_USE_DEEPSPEED"] = "true"
    os.environ["ACCELERATE_DEEPSPEED_CONFIG_FILE"] = str(path)
    distributed.cache_clear()
