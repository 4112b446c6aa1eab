"""The contenders of the comparison suite: the peers and detectors measured side by side, and choosing a subset."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from logad.detectors.registry import get_detector_class
from logad.errors import ConfigError
from logad.jobs.train import detector_config_for
from logad.jobs.train_config import TrainConfig


@dataclass(frozen=True)
class Contender:
    """One detector as the suite measures it: a name, the registered detector and config fields over its preset."""

    name: str
    detector: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def train_config(self, preset: str | None, seed: int) -> TrainConfig:
        """The training config: the run's preset where the detector has presets (the baseline has none), the
        overrides, and ``seed`` for training and, where its config has one, the detector's own seed."""
        overrides = self.overrides | ({"seed": seed} if self.has_config_field("seed") else {})
        has_presets = bool(get_detector_class(self.detector).presets)
        return TrainConfig(detector=overrides, preset=preset if has_presets else None, seed=seed)

    def has_config_field(self, name: str) -> bool:
        """Whether the detector's config has a field ``name`` (e.g. LogSentry's ``label_fraction``)."""
        cls = get_detector_class(self.detector)
        return name in {f.name for f in dataclasses.fields(cls.config_class)}

    @property
    def supervised(self) -> bool:
        """Whether the detector trains on labels with these overrides (the baseline's depends on its model)."""
        cls = get_detector_class(self.detector)
        return cls.supervised_for(detector_config_for(cls, None, self.overrides))


CONTENDERS: tuple[Contender, ...] = (
    Contender("decision-tree", "baseline", {"model": "decision_tree"}),
    Contender("logistic-regression", "baseline", {"model": "logistic_regression"}),
    Contender("linear-svc", "baseline", {"model": "linear_svc"}),
    Contender("pca", "baseline", {"model": "pca", "term_weighting": "tf-idf", "normalization": "zero-mean"}),
    Contender("isolation-forest", "baseline", {"model": "isolation_forest"}),
    Contender("deeplog", "deeplog"),
    Contender("bertloganom", "bertloganom"),
    Contender("logsentry", "logsentry"),
    Contender("logllm", "logllm"),
)
"""Supervised peers (decision tree, logistic regression, linear SVC on event counts), unsupervised peers (PCA with
loglizer's tf-idf + zero-mean features, IsolationForest), then the deep detectors."""


def select_contenders(names: str | None) -> list[Contender]:
    """The contenders named in a comma-separated list of contender or detector names (``baseline`` picks all five
    baseline models), in suite order; all of them for None or an empty list."""
    wanted = [name.strip() for name in (names or "").split(",") if name.strip()]
    known = {c.name for c in CONTENDERS} | {c.detector for c in CONTENDERS}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise ConfigError(f"unknown contender(s) {', '.join(unknown)}; known: {', '.join(c.name for c in CONTENDERS)}")
    return [c for c in CONTENDERS if not wanted or c.name in wanted or c.detector in wanted]
