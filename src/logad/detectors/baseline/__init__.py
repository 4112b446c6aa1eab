"""The classic baseline: event-count vectors + a scikit-learn model; the peer every detector must beat."""

from logad.detectors.capabilities import Capabilities, TrainingStage
from logad.detectors.registry import lazy_exports

CAPABILITIES = Capabilities(stages=(TrainingStage(gpus=False),))  # scikit-learn: no GPU
_EXPORTS = {"BaselineConfig": "config", "BaselineDetector": "detector"}
__all__ = ["CAPABILITIES", *_EXPORTS]
__getattr__ = lazy_exports(__name__, _EXPORTS)  # the detector's code is imported on first use
