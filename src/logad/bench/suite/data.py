"""The suite's datasets and their windows: the standard real sets, the synthetic drift log, label-thinned copies."""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from pathlib import Path

from logad.bench.common import Dataset, slug
from logad.data.dataset import SESSIONS_FORMAT, DataSpec, load_windows
from logad.data.prepared import write_windows
from logad.data.splits import DataSplit, SplitSpec, split_sequences
from logad.data.synth import LABELS, MANIFEST, SynthConfig, generate
from logad.data.types import LogSequence
from logad.detectors.common.examples import few_label_indices
from logad.eval.scoring import labels_of
from logad.jobs.train_config import TrainConfig
from logad.jsonio import read_json_object

DRIFT_AT = 0.5
DRIFT_BLOCKS = 2000
TENANT = "tenant-0"


def standard_datasets(data: Path, quick: bool = False) -> list[Dataset]:
    """HDFS_2pct session windows, then BGL_2k in fixed 20- and 100-line windows (HDFS_2pct alone when ``quick``)."""
    hdfs, bgl = data / "hdfs_2pct", data / "loghub_2k" / "BGL"
    found = [
        Dataset("HDFS_2pct (session)", hdfs / "HDFS_2pct.log.gz", DataSpec(format="HDFS"), hdfs / "anomaly_label.csv"),
        Dataset("BGL_2k (fixed:20)", bgl / "BGL_2k.log", DataSpec(format="BGL", window="fixed:20")),
        Dataset("BGL_2k (fixed:100)", bgl / "BGL_2k.log", DataSpec(format="BGL", window="fixed:100")),
    ]
    return found[:1] if quick else found


def drift_dataset(folder: Path, blocks: int, seed: int) -> Dataset:
    """A synthetic HDFS log (``logad synth``) whose drift (template mutation and faster traffic) starts at
    ``DRIFT_AT`` of its time span, split chronologically at the drift point: training and validation windows all
    start before it, the test part is what follows."""
    generate(SynthConfig(kind="hdfs", blocks=blocks, drift_at=DRIFT_AT, seed=seed), folder)
    tenant = folder / TENANT
    dataset = Dataset(
        f"synth HDFS, drift at {DRIFT_AT:.0%} (session)",
        tenant / "HDFS.log",
        DataSpec(format="hdfs"),
        tenant / LABELS,
    )
    point = drift_time(dataset)
    starts = [seq.start_time for seq in windows_of(dataset)]
    before = sum(start is not None and start < point for start in starts) / len(starts)
    return dataclasses.replace(dataset, split=f"chrono:{math.floor(before * 1000) / 1000:g}")


def drift_time(dataset: Dataset) -> float:
    """The epoch second where the drift of a ``drift_dataset`` starts, from the generator's manifest."""
    manifest = read_json_object(Path(dataset.logs).parent.parent / MANIFEST, "synth manifest")
    return float(manifest["tenants"][TENANT]["hdfs"]["drift"]["timestamp"])


def windows_of(dataset: Dataset) -> list[LogSequence]:
    """The dataset's windows, read once per file version (callers must not change them)."""
    stat = Path(dataset.logs).stat()
    return list(_read(Path(dataset.logs), stat.st_mtime_ns, stat.st_size, dataset.spec.resolved(), dataset.labels))


@lru_cache(maxsize=4)
def _read(logs: Path, mtime_ns: int, size: int, spec: DataSpec, labels: Path | None) -> tuple[LogSequence, ...]:
    return tuple(load_windows(logs, spec, labels, False).sequences)


def split_of(dataset: Dataset) -> DataSplit:
    """The dataset's split as `logad train` makes it (same windows, split spec and validation share)."""
    return split_sequences(windows_of(dataset), SplitSpec.parse(dataset.split), TrainConfig().validation_fraction)


def kept_label_indices(dataset: Dataset, fraction: float, seed: int) -> list[int]:
    """Positions in the training part of the labelled windows that keep their label when only ``fraction`` of
    each class is labelled (LogSentry's ``few_label_indices``, at least one window per class)."""
    labels = labels_of(split_of(dataset).train)
    labelled = [i for i, label in enumerate(labels.tolist()) if label >= 0]
    return [labelled[i] for i in few_label_indices(labels[labelled], fraction, seed)]


def label_subset(dataset: Dataset, fraction: float, seed: int, folder: Path) -> Dataset:
    """``dataset`` as prepared windows (sessions-jsonl, same chronological split) in which the training part keeps
    only the labels ``kept_label_indices`` picks; validation and test windows keep theirs."""
    train = split_of(dataset).train
    kept = set(kept_label_indices(dataset, fraction, seed))
    dropped = {seq.id for i, seq in enumerate(train) if i not in kept}
    windows = [dataclasses.replace(seq, label=None) if seq.id in dropped else seq for seq in windows_of(dataset)]
    path = folder / f"{slug(dataset.name)}-labels-{fraction:g}-seed-{seed}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_windows(windows, path)
    return Dataset(dataset.name, path, DataSpec(format=SESSIONS_FORMAT), None, dataset.split)
