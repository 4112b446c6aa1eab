"""The configuration of one training run (the `--config FILE` of `logad train`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from logad.parsing.preprocessor import PreprocessConfig
from logad.threshold.config import ThresholdConfig


@dataclass
class TrainConfig:
    """Settings shared by every detector; ``detector`` holds the detector's own config fields.

    ``threshold`` configures the threshold kinds fitted on validation scores (static, ewma, dtpm, spot, dspot)
    and which one `detect` and serving apply (``auto``: the one training chooses). ``preset`` names one of the
    detector's presets (e.g. logsentry's "cpu"); ``detector`` fields override it.
    ``validation_fraction`` is the share of the training part held out for early stopping and threshold
    choice. ``unsupervised_train_on``: "normal" trains unsupervised detectors on windows not labelled
    anomalous (as DeepLog/LogBERT do), "all" on every training window. ``seed`` is the run's seed: it becomes
    the detector's ``seed`` unless ``detector`` sets one. ``prefix_events``: for each N, the first N events of every
    training window longer than N that is not labelled anomalous are trained on too, as normal windows, so that the
    model knows what an unfinished normal session looks like and its provisional scores of open sessions (served
    with ``provisional``) do not flood with false alarms; thresholds stay fitted on whole validation windows.
    """

    detector: dict[str, Any] = field(default_factory=dict)
    preset: str | None = None
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    validation_fraction: float = 0.1
    max_window_len: int | None = None
    unsupervised_train_on: str = "normal"
    score_batch_size: int = 512
    threshold: ThresholdConfig = field(default_factory=ThresholdConfig)
    seed: int = 0
    prefix_events: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1), not {self.validation_fraction}")
        if self.unsupervised_train_on not in ("normal", "all"):
            raise ValueError(f"unsupervised_train_on must be 'normal' or 'all', not {self.unsupervised_train_on!r}")
        self.prefix_events = tuple(self.prefix_events)
        if not all(type(n) is int and n >= 1 for n in self.prefix_events):
            raise ValueError(f"prefix_events must be integers >= 1, not {list(self.prefix_events)}")
