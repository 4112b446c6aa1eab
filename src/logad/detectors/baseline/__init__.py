"""The classic baseline: event-count vectors + a scikit-learn model; the peer every detector must beat."""

from logad.detectors.baseline.config import BaselineConfig
from logad.detectors.baseline.model import BaselineDetector

__all__ = ["BaselineConfig", "BaselineDetector"]
