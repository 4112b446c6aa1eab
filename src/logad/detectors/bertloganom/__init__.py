"""BERT-LogAnom: unsupervised BERT over template IDs with a gated residual BiLSTM, trained by MLKP + VHM."""

from logad.detectors.bertloganom.config import PRESETS, BertLogAnomConfig
from logad.detectors.bertloganom.detector import BertLogAnomDetector

__all__ = ["PRESETS", "BertLogAnomConfig", "BertLogAnomDetector"]
