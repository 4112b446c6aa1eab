"""LogSentry: contrastive pre-training (TTC + TTM), fine-tuning, and retrieval-augmented inference over a KB."""

from logad.detectors.capabilities import Capabilities, TrainingStage
from logad.detectors.registry import lazy_exports

# One training step (pre-training, fine-tuning and the training tenant's knowledge base), then the KB step.
CAPABILITIES = Capabilities(stages=(TrainingStage("pre-train"),), knowledge_base=True)
_EXPORTS = {"PRESETS": "config", "LogSentryConfig": "config", "LogSentryDetector": "detector"}
__all__ = ["CAPABILITIES", *_EXPORTS]
__getattr__ = lazy_exports(__name__, _EXPORTS)  # the detector's code (torch, pymilvus) is imported on first use
