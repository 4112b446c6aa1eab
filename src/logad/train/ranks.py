"""Which process of a run this is, from the launcher's environment (torchrun / accelerate set WORLD_SIZE and RANK);
no torch import, so single-process commands stay light."""

from __future__ import annotations

import os


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """Whether this process is rank 0 (or the only one)."""
    return int(os.environ.get("RANK", "0")) == 0
