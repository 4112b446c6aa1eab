"""What every suite scenario shares in one run: output folder, datasets, contenders, preset, seed, retraining."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from logad.bench.common import Dataset
from logad.bench.suite.contenders import CONTENDERS, Contender, select_contenders
from logad.bench.suite.data import DRIFT_BLOCKS, drift_dataset, standard_datasets
from logad.data.shared import shared_data_dir
from logad.errors import ConfigError
from logad.threshold.config import ThresholdConfig

SUITE_SCENARIOS = (
    "standard",
    "contamination",
    "few-labels",
    "unstable",
    "unseen-templates",
    "drift",
    "partial",
    "speed",
)
"""The suite's scenarios in the order `logad bench suite` runs them."""


DRIFT_STREAMS = ("synthetic", "real")
"""The drift scenario's stream families: the synthetic log drifting after training, HDFS_2pct's changed test part."""


def drift_streams(names: str) -> tuple[str, ...]:
    """The stream families ``names`` lists (comma-separated); ConfigError naming an unknown one."""
    chosen = tuple(name.strip() for name in names.split(",") if name.strip())
    unknown = sorted(set(chosen) - set(DRIFT_STREAMS))
    if unknown or not chosen:
        raise ConfigError(f"--streams {names!r}: choose from {', '.join(DRIFT_STREAMS)} (unknown: {unknown})")
    return chosen


@dataclass
class SuiteRun:
    """One run of suite scenarios. ``datasets`` are the standard ones, the first of them the session-window set
    that the single-dataset scenarios use; the synthetic drift log is generated under ``out`` on first use.
    ``retrain`` trains every model again once in this run (``fresh`` holds those already trained). ``threshold``
    is every contender's threshold config (the default one unless a test asks for fewer DTPM steps)."""

    out: Path
    datasets: list[Dataset]
    contenders: list[Contender] = field(default_factory=lambda: list(CONTENDERS))
    preset: str | None = "cpu"
    seed: int = 0
    retrain: bool = False
    drift_blocks: int = DRIFT_BLOCKS
    drift_streams: tuple[str, ...] = DRIFT_STREAMS
    show_progress: bool = False
    fresh: set[Path] = field(default_factory=set)
    threshold: ThresholdConfig = field(default_factory=ThresholdConfig)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> SuiteRun:
        """The run `logad bench` options describe (``--quick``: HDFS_2pct only and a smaller drift log)."""
        data = Path(args.data or shared_data_dir(required=True))
        return cls(
            out=Path(args.out),
            datasets=standard_datasets(data, args.quick),
            contenders=select_contenders(args.detectors),
            preset=args.preset,
            seed=args.seed,
            retrain=args.retrain,
            drift_blocks=DRIFT_BLOCKS // 4 if args.quick else DRIFT_BLOCKS,
            drift_streams=drift_streams(getattr(args, "streams", ",".join(DRIFT_STREAMS))),
            show_progress=True,
        )

    @property
    def sessions(self) -> Dataset:
        """The session-window dataset of the scenarios that change only its test windows."""
        return self.datasets[0]

    @cached_property
    def drift(self) -> Dataset:
        """The synthetic HDFS log with drift, split at its drift point."""
        return drift_dataset(self.out / "data" / "synth-drift", self.drift_blocks, self.seed)

    def meta(self) -> dict[str, Any]:
        """Facts every suite scenario records in its JSON."""
        return {"preset": self.preset, "seed": self.seed, "contenders": [c.name for c in self.contenders]}
