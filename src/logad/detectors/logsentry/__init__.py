"""LogSentry: contrastive pre-training (TTC + TTM), fine-tuning, and retrieval-augmented inference over a KB."""

from logad.detectors.logsentry.config import PRESETS, LogSentryConfig
from logad.detectors.logsentry.detector import LogSentryDetector

__all__ = ["PRESETS", "LogSentryConfig", "LogSentryDetector"]
