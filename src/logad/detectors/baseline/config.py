"""Configuration of the baseline detector."""

from __future__ import annotations

from dataclasses import dataclass

SUPERVISED_MODELS = ("decision_tree", "logistic_regression", "linear_svc")
UNSUPERVISED_MODELS = ("pca", "isolation_forest")


@dataclass
class BaselineConfig:
    """Event-count features (loglizer-style) and the scikit-learn model that scores them.

    ``model``: decision_tree | logistic_regression | linear_svc (supervised) or pca | isolation_forest
    (unsupervised: labels are not used). ``term_weighting`` "tf-idf" and ``normalization`` "zero-mean"
    follow loglizer's FeatureExtractor; PCA keeps components explaining ``pca_variance`` of the variance
    and scores the squared prediction error in the residual space.
    """

    model: str = "decision_tree"
    term_weighting: str = "none"
    normalization: str = "none"
    max_depth: int | None = None
    regularization_c: float = 1.0
    pca_variance: float = 0.95
    n_estimators: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        known = SUPERVISED_MODELS + UNSUPERVISED_MODELS
        if self.model not in known:
            raise ValueError(f"model must be one of {', '.join(known)}, not {self.model!r}")
        if self.term_weighting not in ("none", "tf-idf"):
            raise ValueError(f"term_weighting must be 'none' or 'tf-idf', not {self.term_weighting!r}")
        if self.normalization not in ("none", "zero-mean"):
            raise ValueError(f"normalization must be 'none' or 'zero-mean', not {self.normalization!r}")
