"""`logad train` as a function: load, split, fit the preprocessor and detector, choose a threshold, save."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from logad.artifact import Manifest, load_artifact, new_model_version, save_artifact, write_artifact_thresholds
from logad.config import config_from_dict, config_to_dict, merge_nested
from logad.data.dataset import SESSIONS_FORMAT, DataSpec, load_windows
from logad.data.prepared import read_source
from logad.data.splits import DataSplit, SplitSpec, split_sequences
from logad.data.types import LogSequence
from logad.data.windows import window_prefix
from logad.detectors.base import Detector, FitContext
from logad.detectors.registry import get_detector_class
from logad.errors import BadInputError, ConfigError
from logad.eval.scoring import labels_of, metrics_for, score_windows
from logad.eval.streaming import stream_metrics
from logad.jobs.thresholds import FittedThresholds, fit_thresholds
from logad.jobs.train_config import TrainConfig
from logad.parsing.preprocessor import Preprocessor
from logad.train.checkpoints import CHECKPOINTS_DIR
from logad.train.ranks import is_main_process, world_size


@dataclass
class TrainRequest:
    """What to train on and where to write the artifact."""

    detector: str
    logs: Path
    data: DataSpec
    out: Path
    labels: Path | None = None
    split: str = "chrono:0.8"
    show_progress: bool = True


def train_model(request: TrainRequest, config: TrainConfig) -> Manifest | None:
    """Train ``request.detector`` on the training part of the split and write the artifact.

    Under a multi-process launcher every rank trains; rank 0 alone then measures and writes the artifact, and the
    other ranks return None."""
    cls = get_detector_class(request.detector)
    detector_config = detector_config_for(cls, config.preset, config.detector, config.seed)
    data_spec = replace(request.data, max_len=config.max_window_len or request.data.max_len).resolved()
    loaded = load_windows(request.logs, data_spec, request.labels, request.show_progress)
    split = split_sequences(loaded.sequences, SplitSpec.parse(request.split), config.validation_fraction)

    config_dict = config_to_dict(config) | {"detector": config_to_dict(detector_config)}
    model_version = new_model_version(request.detector, config_dict)
    preprocessor = Preprocessor(config.preprocess)
    detector: Detector = cls(detector_config, preprocessor)
    try:
        measured = _fit_and_measure(request, config, detector, split, model_version)
        if measured is None:
            return None
        metrics, thresholds = measured
        manifest = Manifest(
            detector=request.detector,
            model_version=model_version,
            data=_data_record(request, data_spec, preprocessor.version, config.prefix_events),
            detector_config=config_dict["detector"],
            threshold=thresholds.manifest_record(),
            metrics=metrics | {"read": loaded.summary()},
        )
        save_artifact(request.out, manifest, detector, thresholds.kinds.states)
        shutil.rmtree(Path(request.out) / CHECKPOINTS_DIR, ignore_errors=True)  # resume aids, done with
        return manifest
    finally:
        detector.close()


def detector_config_for(cls: type, preset: str | None, overrides: dict[str, Any], seed: int = 0) -> Any:
    """The detector's config: its preset's values (if any) under the fields given explicitly; the run's ``seed``
    becomes the detector's own ``seed`` unless ``overrides`` set one."""
    if preset is not None and preset not in cls.presets:
        known = ", ".join(cls.presets) or "none"
        raise ConfigError(f"detector {cls.name!r} has no preset {preset!r}; its presets: {known}")
    merged = merge_nested(cls.presets.get(preset, {}), overrides) if preset else dict(overrides)
    if "seed" in {spec.name for spec in fields(cls.config_class)}:
        merged.setdefault("seed", seed)
    return config_from_dict(cls.config_class, merged, f"config.detector ({cls.name})")


def _fit_and_measure(
    request: TrainRequest, config: TrainConfig, detector: Detector, split: DataSplit, model_version: str
) -> tuple[dict[str, Any], FittedThresholds] | None:
    """Fit the preprocessor and detector, then ``measure`` it; None on ranks other than 0 of a distributed run,
    which only help to fit."""
    preprocessor = detector.preprocessor
    train = _training_windows(split.train, detector.supervised, config.unsupervised_train_on)
    train += _normal_prefixes(train, config.prefix_events)
    started = time.perf_counter()
    messages = (msg for seq in train for msg in seq.messages)
    total = sum(len(seq) for seq in train)
    preprocessor.fit(tqdm(messages, total=total, desc="templates", unit="line", disable=not request.show_progress))
    context = FitContext(request.out, request.show_progress, model_version)
    detector.fit(train, split.validation, context)
    train_seconds = time.perf_counter() - started
    if not is_main_process():
        return None
    metrics, thresholds = measure(detector, split, config, request.show_progress)
    extra = {"split": _split_counts(split, len(train)), "train_seconds": round(train_seconds, 3)}
    return metrics | extra | {"training": run_description()}, thresholds


def measure(
    detector: Detector, split: DataSplit, config: TrainConfig, show_progress: bool = False
) -> tuple[dict[str, Any], FittedThresholds]:
    """Choose the static threshold, fit every threshold kind and choose the served one on the validation windows;
    measure on the test windows (each kind on them streamed in time order)."""
    val_scores = score_windows(detector, split.validation, config.score_batch_size, show_progress)
    thresholds = fit_thresholds(
        detector, split.validation, val_scores, config.threshold, config.score_batch_size, show_progress
    )
    anchor = thresholds.static.value
    test_scores = score_windows(detector, split.test, config.score_batch_size, show_progress)
    metrics = {
        "validation": metrics_for(val_scores, labels_of(split.validation), anchor),
        "test": metrics_for(test_scores, labels_of(split.test), anchor),
        "test_stream": stream_metrics(split.test, test_scores, labels_of(split.test), thresholds.kinds.states),
        "served_kind": thresholds.served.kind,
    }
    return metrics, thresholds


def refit_thresholds(directory: Path, split: DataSplit, config: TrainConfig, show_progress: bool = False) -> Manifest:
    """Choose and fit a trained model's thresholds again on its validation windows (the detector unchanged), as
    this logad would at the end of training: rewrites ``thresholds.json`` and the manifest's threshold and
    measurements."""
    model = load_artifact(directory)
    try:
        metrics, thresholds = measure(model.detector, split, config, show_progress)
    finally:
        model.detector.close()
    manifest = model.manifest
    manifest.threshold = thresholds.manifest_record()
    manifest.metrics = manifest.metrics | metrics
    write_artifact_thresholds(Path(directory), manifest, thresholds.kinds.states)
    return manifest


def _training_windows(train: list[LogSequence], supervised: bool, unsupervised_on: str) -> list[LogSequence]:
    """Labelled windows for supervised detectors; non-anomalous (or all) windows for unsupervised ones."""
    if supervised:
        chosen = [seq for seq in train if seq.label is not None]
        if not chosen:
            raise BadInputError("a supervised detector needs labels: no training window has one (pass --labels?)")
    elif unsupervised_on == "normal":
        chosen = [seq for seq in train if seq.label != 1]
    else:
        chosen = list(train)
    if not chosen:
        raise BadInputError("no training windows left after the split; use more data or a larger train fraction")
    return chosen


def _normal_prefixes(train: list[LogSequence], lengths: tuple[int, ...]) -> list[LogSequence]:
    """The first N events of each window longer than N not labelled anomalous, for each N in ``lengths``, labelled
    as their window (normal, or unlabelled for unsupervised training)."""
    return [window_prefix(seq, n) for n in lengths for seq in train if seq.label != 1 and len(seq) > n]


def run_description() -> dict[str, Any]:
    """How the run trained: number of processes and accelerate's distributed type (for the manifest); torch is
    imported only for a distributed run."""
    if world_size() == 1 and os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() != "true":
        return {"processes": 1, "distributed": "no"}
    from logad.train.distributed import distributed

    accelerator = distributed().accelerator
    if accelerator is None:
        return {"processes": 1, "distributed": "no"}
    return {"processes": accelerator.num_processes, "distributed": str(accelerator.distributed_type.value).lower()}


def _split_counts(split: DataSplit, trained_on: int) -> dict[str, int]:
    counts = {"trained_on": trained_on}
    for part in ("train", "validation", "test"):
        windows = getattr(split, part)
        counts[part] = len(windows)
        counts[f"{part}_anomalies"] = sum(seq.label == 1 for seq in windows)
    return counts


def _data_record(
    request: TrainRequest, data_spec: DataSpec, templates: str, prefix_events: tuple[int, ...]
) -> dict[str, Any]:
    """The manifest's data section (with the prefixes of normal windows trained on, which serving reads to warn
    about provisional scores); for prepared windows also ``source``: how raw lines became them, which serving needs
    to window raw lines the same way."""
    record = {
        **config_to_dict(data_spec),
        "split": request.split,
        "templates": templates,
        "prefix_events": list(prefix_events),
    }
    source = read_source(Path(request.logs)) if data_spec.format == SESSIONS_FORMAT else None
    return record | ({"source": source} if source else {})
