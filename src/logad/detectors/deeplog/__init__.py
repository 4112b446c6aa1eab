"""DeepLog (Du et al., CCS 2017), the log-key model: an LSTM predicts the next template ID from the previous h."""

from logad.detectors.deeplog.config import PRESETS, DeepLogConfig
from logad.detectors.deeplog.detector import DeepLogDetector

__all__ = ["PRESETS", "DeepLogConfig", "DeepLogDetector"]
