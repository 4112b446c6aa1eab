"""Training across processes through accelerate: the same loop runs as one process on a laptop or under
``torchrun`` / ``accelerate launch`` with any number of processes (DDP: gloo on CPUs, NCCL on GPUs).

Every rank walks the same global batches (data order comes from the config seed) and computes its shard of
each; DDP averages the gradients, and shard weights make that average the full batch's mean gradient, so a run's
result does not depend on the number of processes beyond floating-point and per-rank randomness (dropout and
masking are seeded per rank). Rank 0 alone writes artifacts, checkpoints and logs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn


@dataclass
class Distributed:
    """This process's place in the run, and the accelerate operations the training loops use."""

    accelerator: Any

    @property
    def rank(self) -> int:
        return int(self.accelerator.process_index)

    @property
    def world_size(self) -> int:
        return int(self.accelerator.num_processes)

    @property
    def is_main(self) -> bool:
        return bool(self.accelerator.is_main_process)

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    def prepare(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple[nn.Module, torch.optim.Optimizer]:
        """Model and optimizer wrapped for this run (DDP when there are several processes)."""
        if self.world_size == 1:
            return model, optimizer
        return self.accelerator.prepare(model, optimizer)

    def backward(self, loss: torch.Tensor) -> None:
        self.accelerator.backward(loss)

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
        if self.world_size > 1:
            total = self.accelerator.reduce(total, reduction="sum")
            count = int(self.accelerator.reduce(torch.tensor(count, device=self.device), reduction="sum"))
        return total / max(count, 1)

    def mean(self, value: float) -> float:
        """The mean of ``value`` over ranks (for logged losses)."""
        if self.world_size == 1:
            return value
        return float(self.accelerator.reduce(torch.tensor(value, device=self.device), reduction="mean"))

    def unwrap(self, model: nn.Module) -> nn.Module:
        return self.accelerator.unwrap_model(model) if self.world_size > 1 else model

    def wait(self) -> None:
        """Barrier: every rank reaches this point before any goes on."""
        self.accelerator.wait_for_everyone()


def is_main_process() -> bool:
    """Whether this process is rank 0 (or the only one), from the launcher's environment; cheap, no accelerate."""
    return int(os.environ.get("RANK", "0")) == 0


@functools.cache
def distributed() -> Distributed:
    """The run's Distributed, created once per process from the launcher's environment (WORLD_SIZE, RANK, ...)."""
    from accelerate import Accelerator, DistributedDataParallelKwargs, InitProcessGroupKwargs

    cpu = not torch.cuda.is_available()
    handlers: list[Any] = [DistributedDataParallelKwargs(find_unused_parameters=True)]
    if cpu and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        handlers.append(InitProcessGroupKwargs(backend="gloo"))
    return Distributed(Accelerator(cpu=cpu, kwargs_handlers=handlers))
