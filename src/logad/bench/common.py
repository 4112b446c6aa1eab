"""Pieces several benchmark scenarios share: a dataset description, folder-safe names, the baseline reference."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logad.data.dataset import DataSpec
from logad.jobs.train import TrainRequest, train_model
from logad.jobs.train_config import TrainConfig


@dataclass
class Dataset:
    """One benchmark input: logs, optional session labels, how to window them and how to split the windows."""

    name: str
    logs: Path
    spec: DataSpec
    labels: Path | None = None
    split: str = "chrono:0.8"


def slug(name: str) -> str:
    """``name`` as a folder name: lower case, non-alphanumerics as dashes."""
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")


def baseline_metrics(dataset: Dataset, split: str, out: Path, seed: int) -> dict[str, Any]:
    """The manifest metrics (test, served kind, ...) of the classic baseline (decision tree on event counts) on the
    same windows and split: the bar the issues set for the deep detectors."""
    request = TrainRequest("baseline", dataset.logs, dataset.spec, out, dataset.labels, split, show_progress=False)
    return train_model(request, TrainConfig(seed=seed)).metrics
