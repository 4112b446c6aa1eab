"""LogLLM: BERT message vectors -> linear projector -> Llama with QLoRA, trained in three stages."""

import logging

# bitsandbytes warns on import that it cannot fetch an optional CPU kernel from a model hub (logad never
# downloads at run time); its built-in CPU kernels are used instead, so the warning is only noise.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

from logad.detectors.logllm.config import PRESETS, LogLLMConfig  # noqa: E402
from logad.detectors.logllm.detector import LogLLMDetector  # noqa: E402

__all__ = ["PRESETS", "LogLLMConfig", "LogLLMDetector"]
