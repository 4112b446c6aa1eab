"""BaselineDetector: count vectors through one scikit-learn model, saved with joblib."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from logad.data.types import LogSequence
from logad.detectors.base import Detector, FitContext
from logad.detectors.baseline import CAPABILITIES
from logad.detectors.baseline.config import SUPERVISED_MODELS, BaselineConfig
from logad.detectors.baseline.features import FeatureScaler, count_matrix
from logad.detectors.registry import register_detector
from logad.errors import BadInputError
from logad.parsing.preprocessor import Preprocessor

_STATE_FILE = "baseline.joblib"


@register_detector
class BaselineDetector(Detector):
    """Classic loglizer-style detector: supervised classifiers or unsupervised PCA / IsolationForest."""

    name = "baseline"
    config_class = BaselineConfig
    capabilities = CAPABILITIES

    def __init__(self, config: BaselineConfig, preprocessor: Preprocessor) -> None:
        super().__init__(config, preprocessor)
        self.width = 0
        self.scaler = FeatureScaler()
        self.model: Any = None
        self._residual_projection: np.ndarray | None = None

    @classmethod
    def supervised_for(cls, config: BaselineConfig) -> bool:
        return config.model in SUPERVISED_MODELS

    @property
    def supervised(self) -> bool:  # type: ignore[override]
        return self.supervised_for(self.config)

    @property
    def scores_are_probabilities(self) -> bool:  # type: ignore[override]
        return self.config.model in ("decision_tree", "logistic_regression")

    def fit(self, train: Sequence[LogSequence], validation: Sequence[LogSequence], context: FitContext) -> None:
        self.width = self.preprocessor.vocab_size
        counts = count_matrix(train, self.preprocessor, self.width)
        self.scaler = FeatureScaler.fit(counts, self.config.term_weighting, self.config.normalization)
        features = self.scaler.transform(counts)
        self.model = self._new_model()
        if self.supervised:
            labels = np.array([seq.label for seq in train])
            if len(set(labels.tolist())) < 2:
                raise BadInputError(
                    f"baseline model {self.config.model!r} is supervised and needs both normal and anomalous "
                    "training windows; use a label file, or model pca / isolation_forest"
                )
            self.model.fit(features, labels.astype(int))
        else:
            self.model.fit(features)
            if isinstance(self.model, PCA):
                self._fit_pca_residual()

    def score(self, sequences: Sequence[LogSequence]) -> np.ndarray:
        model = self.fitted(self.model)
        if not sequences:
            return np.zeros(0)
        features = self.scaler.transform(count_matrix(sequences, self.preprocessor, self.width))
        if isinstance(model, PCA):
            residual = (features - model.mean_) @ self._residual_projection
            return np.einsum("ij,ij->i", residual, residual).astype(float)
        if isinstance(model, IsolationForest):
            return -model.score_samples(features)
        if isinstance(model, LinearSVC):
            return model.decision_function(features).astype(float)
        return model.predict_proba(features)[:, 1].astype(float)

    def save(self, directory: Path) -> None:
        state = {"width": self.width, "scaler": self.scaler, "model": self.fitted(self.model)}
        joblib.dump(state, directory / _STATE_FILE)

    @classmethod
    def load(cls, directory: Path, config: BaselineConfig, preprocessor: Preprocessor) -> BaselineDetector:
        path = directory / _STATE_FILE
        if not path.is_file():
            raise BadInputError(f"baseline model file {path} is missing")
        state = joblib.load(path)
        detector = cls(config, preprocessor)
        detector.width, detector.scaler, detector.model = state["width"], state["scaler"], state["model"]
        if isinstance(detector.model, PCA):
            detector._fit_pca_residual()
        return detector

    def _new_model(self) -> Any:
        cfg = self.config
        return {
            "decision_tree": lambda: DecisionTreeClassifier(max_depth=cfg.max_depth, random_state=cfg.seed),
            "logistic_regression": lambda: LogisticRegression(C=cfg.regularization_c, max_iter=1000),
            "linear_svc": lambda: LinearSVC(C=cfg.regularization_c, random_state=cfg.seed),
            "pca": lambda: PCA(n_components=cfg.pca_variance, svd_solver="full", random_state=cfg.seed),
            "isolation_forest": lambda: IsolationForest(n_estimators=cfg.n_estimators, random_state=cfg.seed),
        }[cfg.model]()

    def _fit_pca_residual(self) -> None:
        """Projection onto the residual (anomaly) subspace: I - P P^T over the kept components."""
        components = self.model.components_
        self._residual_projection = np.eye(components.shape[1], dtype=np.float32) - components.T @ components
