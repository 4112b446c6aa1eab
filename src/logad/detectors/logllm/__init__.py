"""LogLLM: BERT message vectors -> linear projector -> Llama with QLoRA, trained in three stages."""

from logad.detectors.logllm.config import PRESETS, LogLLMConfig
from logad.detectors.logllm.detector import LogLLMDetector

__all__ = ["PRESETS", "LogLLMConfig", "LogLLMDetector"]
