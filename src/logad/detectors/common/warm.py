"""Model outputs for the training windows, kept in the artifact so that a served model starts with warm caches.

Windows repeat: on HDFS_2pct 99% of LogSentry's and 96% of LogLLM's test windows have the same encoder input as a
training window. A detector that caches per-text outputs writes those of its most frequent training inputs at
``save`` and puts them back in its caches at ``load``; the values are the fitted model's own outputs, so scores
are the same with or without them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from logad.errors import ConfigError
from logad.jsonio import read_json_object, write_json_atomic


def most_frequent(keys: Sequence[str], limit: int) -> list[str]:
    """The ``limit`` most frequent distinct keys, the most frequent first (ties in first-seen order)."""
    return [key for key, _ in Counter(keys).most_common(limit)] if limit > 0 else []


def write_warm_outputs(directory: Path, name: str, keys: Sequence[str], outputs: dict[str, np.ndarray]) -> None:
    """``<name>.json`` (the keys) and ``<name>.npz`` (each output, one row per key) in ``directory``."""
    for output, values in outputs.items():
        if len(values) != len(keys):
            raise ValueError(f"warm output {output!r} has {len(values)} rows for {len(keys)} keys")
    directory = Path(directory)
    partial = directory / f".{name}.npz.partial"
    with partial.open("wb") as handle:
        np.savez(handle, **{output: np.asarray(values) for output, values in outputs.items()})
    os.replace(partial, directory / f"{name}.npz")
    write_json_atomic(directory / f"{name}.json", {"keys": list(keys), "outputs": sorted(outputs)})


def read_warm_outputs(directory: Path, name: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """What ``write_warm_outputs`` wrote; no keys when the artifact has none (saved before warm starts)."""
    directory = Path(directory)
    if not (directory / f"{name}.json").exists():
        return [], {}
    index = read_json_object(directory / f"{name}.json", f"warm outputs {name}")
    keys = index.get("keys")
    try:
        with np.load(directory / f"{name}.npz", allow_pickle=False) as stored:
            outputs = {output: stored[output] for output in index.get("outputs", [])}
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"warm outputs in {directory / name}.npz are unreadable: {exc}") from None
    if not isinstance(keys, list) or any(len(values) != len(keys) for values in outputs.values()):
        raise ConfigError(f"warm outputs in {directory / name}.json do not match their arrays")
    return keys, outputs
