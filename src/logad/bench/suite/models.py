"""Fitted-model cache: ``<out>/models/<dataset>/<contender>/`` is trained once and reused by every scenario that
only changes the test windows, in this run or a later one.

A cached model is reused when its artifact is complete and matches the request: the manifest's detector config
equals the resolved one (preset, overrides, seed), and ``bench-key.json`` beside it holds the same detector, training
config and data (SHA-256 of the log and label files, window spec, split). Otherwise, or with ``--retrain`` (once
per run), it is trained again; a finished stale artifact is removed first, an unfinished run's epoch checkpoints
are kept for resuming. Thresholds are not part of the key: a reused model whose thresholds were fitted by another
logad or threshold config gets them fitted again on its validation windows, as training would fit them now.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from logad.artifact import MANIFEST, LoadedModel, Manifest, load_artifact, read_manifest
from logad.bench.common import Dataset, slug
from logad.bench.suite.contenders import Contender
from logad.bench.suite.data import split_of
from logad.bench.suite.run import SuiteRun
from logad.config import config_to_dict
from logad.detectors.registry import get_detector_class
from logad.errors import LogadError
from logad.jobs.thresholds import thresholds_are_current
from logad.jobs.train import TrainRequest, detector_config_for, refit_thresholds, train_model
from logad.jobs.train_config import TrainConfig
from logad.jsonio import read_json_object, write_json_atomic

KEY_FILE = "bench-key.json"


@dataclass
class Fitted:
    """A trained model of ``contender``: its artifact folder, manifest, and whether this call trained it (False:
    reused from the cache)."""

    contender: Contender
    path: Path
    manifest: Manifest
    trained: bool

    @property
    def train_seconds(self) -> float:
        """Fitting time of the run that trained the model."""
        return float(self.manifest.metrics["train_seconds"])


def model_dir(run: SuiteRun, contender: Contender, dataset: Dataset, prefix_events: tuple[int, ...] = ()) -> Path:
    """Where the cached model of ``contender`` on ``dataset`` (trained on ``prefix_events`` prefixes too) lives."""
    suffix = "+prefixes-" + "-".join(map(str, prefix_events)) if prefix_events else ""
    return run.out / "models" / slug(dataset.name) / (slug(contender.name) + suffix)


def fit(run: SuiteRun, contender: Contender, dataset: Dataset, prefix_events: tuple[int, ...] = ()) -> Fitted:
    """The cached model of ``contender`` on ``dataset`` (trained on prefixes of its normal training windows too,
    see ``TrainConfig.prefix_events``), trained (through `logad train`'s runner) when missing or stale."""
    out = model_dir(run, contender, dataset, prefix_events)
    config = dataclasses.replace(
        contender.train_config(run.preset, run.seed), prefix_events=prefix_events, threshold=run.threshold
    )
    cls = get_detector_class(contender.detector)
    detector_config = config_to_dict(detector_config_for(cls, config.preset, config.detector, config.seed))
    key = _key(contender, dataset, config)
    forced = run.retrain and out not in run.fresh
    manifest = _cached_manifest(out)
    if manifest is not None and not forced and manifest.detector_config == detector_config and _stored_key(out) == key:
        if not thresholds_are_current(manifest.threshold, config.threshold):
            manifest = refit_thresholds(out, split_of(dataset), config, run.show_progress)
        return Fitted(contender, out, manifest, trained=False)
    if manifest is not None:
        shutil.rmtree(out)
    request = TrainRequest(
        contender.detector, dataset.logs, dataset.spec, out, dataset.labels, dataset.split, run.show_progress
    )
    manifest = train_model(request, config)
    write_json_atomic(out / KEY_FILE, key)
    run.fresh.add(out)
    return Fitted(contender, out, manifest, trained=True)


def fitted_models(run: SuiteRun, dataset: Dataset, notes: list[str]) -> Iterator[Fitted]:
    """``try_fit`` of each of the run's contenders on ``dataset``, leaving out those that cannot train on it."""
    for contender in run.contenders:
        fitted = try_fit(run, contender, dataset, notes)
        if fitted is not None:
            yield fitted


def try_fit(
    run: SuiteRun, contender: Contender, dataset: Dataset, notes: list[str], prefix_events: tuple[int, ...] = ()
) -> Fitted | None:
    """``fit``, or None with a line in ``notes`` when the contender cannot train on this dataset (a missing extra,
    training windows of one class only)."""
    try:
        return fit(run, contender, dataset, prefix_events)
    except LogadError as exc:
        notes.append(f"{contender.name} on {dataset.name}: not measured ({exc})")
        return None


@contextmanager
def loaded(fitted: Fitted) -> Iterator[LoadedModel]:
    """The fitted model loaded for scoring, its external resources (LogSentry's knowledge base) released after."""
    model = load_artifact(fitted.path)
    try:
        yield model
    finally:
        model.detector.close()


def _key(contender: Contender, dataset: Dataset, config: TrainConfig) -> dict[str, Any]:
    train = _without_thresholds(config_to_dict(dataclasses.replace(config, detector={})))
    if not config.prefix_events:  # as keys written before the field existed: those models stay valid
        del train["prefix_events"]
    return {
        "detector": contender.detector,
        "train": train,
        "data": {
            "logs": _digest(Path(dataset.logs)),
            "labels": _digest(Path(dataset.labels)) if dataset.labels else None,
            "spec": config_to_dict(dataset.spec.resolved()),
            "split": dataset.split,
        },
    }


def _cached_manifest(out: Path) -> Manifest | None:
    return read_manifest(out) if (out / MANIFEST).is_file() else None


def _stored_key(out: Path) -> dict[str, Any] | None:
    path = out / KEY_FILE
    if not path.is_file():
        return None
    key = read_json_object(path, "bench model key")
    return {**key, "train": _without_thresholds(key.get("train", {}))}


def _without_thresholds(train: dict[str, Any]) -> dict[str, Any]:
    """The training config without its threshold section (refitted instead of retrained when it changes)."""
    return {name: value for name, value in train.items() if name != "threshold"}


def _digest(path: Path) -> str:
    stat = path.stat()
    return _sha256(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _sha256(path: Path, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
