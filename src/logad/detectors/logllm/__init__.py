"""LogLLM: BERT message vectors -> linear projector -> Llama with QLoRA, trained in three stages."""

from logad.detectors.capabilities import Capabilities, TrainingStage
from logad.detectors.registry import lazy_exports

# One pipeline step per training stage (config.STAGES), each resuming the previous one's checkpoint_dir.
CAPABILITIES = Capabilities(
    stages=(
        TrainingStage("stage-1", ("skip_stages=[projector,embedder,all]",)),
        TrainingStage("stage-2", ("skip_stages=[all]",)),
        TrainingStage("stage-3", ("skip_stages=[]",)),
    ),
    handover="checkpoint_dir",
)
_EXPORTS = {"PRESETS": "config", "LogLLMConfig": "config", "LogLLMDetector": "detector"}
__all__ = ["CAPABILITIES", *_EXPORTS]
__getattr__ = lazy_exports(__name__, _EXPORTS)  # the detector's code (torch) is imported on first use
