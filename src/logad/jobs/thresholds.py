"""Thresholds of a trained detector from its validation windows: the static one, every kind started from it, and
the kind to serve (chosen on the validation windows stable, shifted and reworded)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from logad.config import config_to_dict
from logad.data.rewording import reword, upgrade_rewording
from logad.data.types import LogSequence
from logad.detectors.base import Detector
from logad.eval.scoring import labels_of, score_windows
from logad.eval.streaming import time_order
from logad.threshold.choice import KindChoice, ValidationStream, choose_kind, simulated_streams
from logad.threshold.config import ThresholdConfig
from logad.threshold.fitting import FittedKinds, fit_threshold_policies
from logad.threshold.selection import ThresholdChoice, choose_threshold

REWORD_SHARE = 0.3
"""Share of validation messages the simulated upgrade rewords (from the middle of the validation stream on)."""
THRESHOLD_FORMAT = 4
"""Version of how thresholds are chosen and fitted; a model whose manifest records another can have them fitted
again without retraining (``logad.jobs.train.refit_thresholds``)."""


@dataclass
class FittedThresholds:
    """The static choice, every fitted kind and the served kind, for the manifest and ``thresholds.json``."""

    static: ThresholdChoice
    kinds: FittedKinds
    served: KindChoice
    config: ThresholdConfig

    def manifest_record(self) -> dict[str, Any]:
        """The manifest's ``threshold`` section."""
        return {
            "format": THRESHOLD_FORMAT,
            "config": config_to_dict(self.config),
            "kind": self.served.kind,
            "value": self.static.value,
            "how": self.static.how,
            "served_because": self.served.why,
            "validation": self.served.table,
            "not_fitted": self.kinds.skipped,
        }


def fit_thresholds(
    detector: Detector,
    validation: Sequence[LogSequence],
    scores: np.ndarray,
    config: ThresholdConfig,
    batch_size: int,
    show_progress: bool = False,
) -> FittedThresholds:
    """Choose the static threshold on ``validation`` (whose ``scores`` are given), fit every kind from it and
    choose the served one out of sample: each kind fitted on the earlier half of the validation windows (in time
    order) is replayed over the later half, as it is, shifted and reworded (scored here), so a kind that only
    memorises its fitting scores gains nothing; the served states are then fitted on every validation window."""
    labels = labels_of(validation)
    static = _static_threshold(detector, scores, labels, config)
    kinds = fit_threshold_policies(config, scores, labels, static.value)
    streams = validation_streams(detector, validation, scores, static.value, config.seed, batch_size, show_progress)
    earlier = time_order(validation)[: len(validation) // 2]
    trial_anchor = _static_threshold(detector, scores[earlier], labels[earlier], config).value
    trial = fit_threshold_policies(config, scores[earlier], labels[earlier], trial_anchor)
    later = [ValidationStream(s.name, s.scores[len(earlier) :], s.labels[len(earlier) :]) for s in streams]
    fitted_both = {kind: state for kind, state in trial.states.items() if kind in kinds.states}
    served = choose_kind(config, fitted_both, later, {**trial.skipped, **kinds.skipped})
    return FittedThresholds(static, kinds, served, config)


def _static_threshold(
    detector: Detector, scores: np.ndarray, labels: np.ndarray, config: ThresholdConfig
) -> ThresholdChoice:
    """The static threshold of ``scores``: the run config's value, else chosen on them (``choose_threshold``)."""
    if config.static_value is not None:
        return ThresholdChoice(config.static_value, "set in the run config (threshold.static_value)")
    default = 0.5 if detector.scores_are_probabilities else 0.0
    return choose_threshold(scores, labels, default, detector.supervised, config.normal_quantile)


def thresholds_are_current(record: dict[str, Any], config: ThresholdConfig) -> bool:
    """Whether a manifest's threshold section was fitted the way this logad fits ``config``."""
    return record.get("format") == THRESHOLD_FORMAT and record.get("config") == config_to_dict(config)


def validation_streams(
    detector: Detector,
    validation: Sequence[LogSequence],
    scores: np.ndarray,
    anchor: float,
    seed: int,
    batch_size: int,
    show_progress: bool = False,
) -> list[ValidationStream]:
    """The validation windows in time order: stable, level- and scale-shifted, and with the second half's messages
    reworded by a simulated upgrade (``REWORD_SHARE`` of them) and scored again."""
    order = time_order(validation)
    ordered = [validation[i] for i in order]
    labels = labels_of(ordered)
    streams = simulated_streams(scores[order], labels, anchor)
    half = len(ordered) // 2
    mapping = upgrade_rewording([m for seq in ordered for m in seq.messages], REWORD_SHARE, np.random.default_rng(seed))
    if mapping and half < len(ordered):
        changed = score_windows(detector, reword(ordered[half:], mapping), batch_size, show_progress)
        streams.append(ValidationStream("reworded", np.r_[scores[order][:half], changed], labels))
    return streams
