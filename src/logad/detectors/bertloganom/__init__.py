"""BERT-LogAnom: unsupervised BERT over template IDs with a gated residual BiLSTM, trained by MLKP + VHM."""

from logad.detectors.capabilities import Capabilities
from logad.detectors.registry import lazy_exports

CAPABILITIES = Capabilities()
_EXPORTS = {"PRESETS": "config", "BertLogAnomConfig": "config", "BertLogAnomDetector": "detector"}
__all__ = ["CAPABILITIES", *_EXPORTS]
__getattr__ = lazy_exports(__name__, _EXPORTS)  # the detector's code is imported on first use
