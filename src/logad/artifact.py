"""The one artifact format: what `logad train` writes and `evaluate`, `detect` and serving read.

Layout of an artifact directory::

    logad.json        manifest: format version, detector, model version, data specs, configs, threshold, metrics
    thresholds.json   state of each threshold kind (static, ewma, dtpm, spot, dspot) fitted on validation scores
    preprocess/       masking config + versioned template store (shared by training and serving)
    model/            the detector's own files (``Detector.save``)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logad import __version__
from logad.config import config_from_dict
from logad.detectors.base import Detector
from logad.detectors.registry import get_detector_class
from logad.errors import BadInputError
from logad.jsonio import read_json_object, write_json_atomic
from logad.parsing.preprocessor import Preprocessor
from logad.threshold import ThresholdPolicy, threshold_from_state
from logad.threshold.static import StaticThreshold

ARTIFACT_FORMAT = 1
MANIFEST = "logad.json"
THRESHOLDS = "thresholds.json"


@dataclass
class Manifest:
    """Everything about a trained model except its weights."""

    detector: str
    model_version: str
    data: dict[str, Any]
    detector_config: dict[str, Any]
    threshold: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    artifact_format: int = ARTIFACT_FORMAT
    logad_version: str = __version__
    created_at: str = ""

    @property
    def prefix_events(self) -> list[int]:
        """The prefix lengths of normal training windows the model was trained on besides the windows themselves
        (``TrainConfig.prefix_events``; [] for whole windows only, as every model trained before it was recorded)."""
        found = self.data.get("prefix_events")
        return [n for n in found if type(n) is int] if isinstance(found, list) else []


@dataclass
class LoadedModel:
    """A detector ready to score, with its manifest and preprocessor."""

    manifest: Manifest
    detector: Detector
    preprocessor: Preprocessor

    threshold_states: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def threshold(self) -> float:
        """The static threshold chosen on validation data."""
        return float(self.manifest.threshold["value"])

    def threshold_policy(self, kind: str | None = None) -> ThresholdPolicy:
        """A fresh policy of ``kind`` (default: the served kind) in its post-validation state."""
        return initial_threshold_policy(self.manifest, self.threshold_states, kind)


def initial_threshold_policy(
    manifest: Manifest, states: dict[str, dict[str, Any]], kind: str | None = None
) -> ThresholdPolicy:
    """A fresh policy of ``kind`` (default: the one training chose to serve) in its post-validation state. The
    static one always comes from the manifest's threshold, so models of any logad version can serve it."""
    kind = kind or manifest.threshold.get("kind", StaticThreshold.kind)
    if kind == StaticThreshold.kind or not states:
        return StaticThreshold(float(manifest.threshold["value"]))
    if kind not in states:
        why = manifest.threshold.get("not_fitted", {}).get(kind)
        raise BadInputError(
            f"this model has no {kind!r} threshold{f' ({why})' if why else ''}; it has {', '.join(states)}"
        )
    try:
        return threshold_from_state(states[kind])
    except BadInputError as exc:
        raise BadInputError(
            f"this model's {kind!r} threshold cannot be read ({exc}); retrain the model with this logad, or serve it "
            "with --threshold static"
        ) from None


def new_model_version(detector: str, config: dict[str, Any]) -> str:
    """A unique, sortable model version: detector, UTC time and a short hash of the config."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]
    return f"{detector}-{stamp}-{digest}"


def save_artifact(
    directory: Path, manifest: Manifest, detector: Detector, thresholds: dict[str, dict[str, Any]] | None = None
) -> None:
    """Write model files first and the manifest last (atomically), so a crash never leaves a valid-looking
    but incomplete artifact."""
    directory.mkdir(parents=True, exist_ok=True)
    detector.preprocessor.save(directory / "preprocess")
    (directory / "model").mkdir(exist_ok=True)
    detector.save(directory / "model")
    manifest.created_at = manifest.created_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_artifact_thresholds(directory, manifest, thresholds)


def write_artifact_thresholds(
    directory: Path, manifest: Manifest, thresholds: dict[str, dict[str, Any]] | None
) -> None:
    """Write the threshold states, then the manifest (atomically, last: it is what makes the artifact valid)."""
    if thresholds:
        write_json_atomic(directory / THRESHOLDS, thresholds)
    write_json_atomic(directory / MANIFEST, manifest.__dict__)


def read_manifest(directory: Path) -> Manifest:
    """Read and check an artifact's manifest; a clear error when it is missing or from a newer format."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise BadInputError(f"{directory} is not a logad model: {MANIFEST} not found (was training finished?)")
    raw = read_json_object(path, "manifest")
    try:
        manifest = Manifest(**raw)
    except TypeError as exc:
        raise BadInputError(f"{path} is not a valid logad manifest: {exc}") from None
    if manifest.artifact_format > ARTIFACT_FORMAT:
        raise BadInputError(
            f"{directory} was written by a newer logad (artifact format {manifest.artifact_format}, "
            f"this one reads {ARTIFACT_FORMAT}); upgrade logad"
        )
    return manifest


def load_artifact(directory: str | Path) -> LoadedModel:
    """Load a trained detector from an artifact directory."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    cls = get_detector_class(manifest.detector)
    config = config_from_dict(cls.config_class, manifest.detector_config, f"{MANIFEST} detector_config")
    preprocessor = Preprocessor.load(directory / "preprocess")
    detector = cls.load(directory / "model", config, preprocessor)
    return LoadedModel(manifest, detector, preprocessor, read_threshold_states(directory))


def read_threshold_states(directory: Path) -> dict[str, dict[str, Any]]:
    """The artifact's fitted threshold policies by kind ({} for artifacts without them)."""
    path = Path(directory) / THRESHOLDS
    return read_json_object(path, "thresholds") if path.is_file() else {}
