"""Which process of a run this is, from the launcher's environment (torchrun / accelerate set WORLD_SIZE and RANK);
no torch import, so single-process commands stay light."""

from __future__ import annotations

import os
from typing import Any


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """Whether this process is rank 0 (or the only one)."""
    return int(os.environ.get("RANK", "0")) == 0


def run_description() -> dict[str, Any]:
    """How the run trained: number of processes and accelerate's distributed type (for the manifest)."""
    if world_size() == 1 and os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() != "true":
        return {"processes": 1, "distributed": "no"}
    from logad.train.distributed import distributed

    accelerator = distributed().accelerator
    if accelerator is None:
        return {"processes": 1, "distributed": "no"}
    return {"processes": accelerator.num_processes, "distributed": str(accelerator.distributed_type.value).lower()}
