"""DeepLog (Du et al., CCS 2017), the log-key model: an LSTM predicts the next template ID from the previous h."""

from logad.detectors.capabilities import Capabilities
from logad.detectors.registry import lazy_exports

CAPABILITIES = Capabilities()
_EXPORTS = {"PRESETS": "config", "DeepLogConfig": "config", "DeepLogDetector": "detector"}
__all__ = ["CAPABILITIES", *_EXPORTS]
__getattr__ = lazy_exports(__name__, _EXPORTS)  # the detector's code is imported on first use
