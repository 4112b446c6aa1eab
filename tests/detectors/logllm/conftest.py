"""LogLLM configs on the tiny config-built models of the top-level conftest."""

from __future__ import annotations

import pytest

from logad.detectors.logllm.config import LogLLMConfig


@pytest.fixture
def tiny_config(tiny_llama_dir, tiny_bert64_dir):
    """A LogLLMConfig on the tiny models; keyword overrides on top."""

    def make(**overrides) -> LogLLMConfig:
        settings = {
            "llm": str(tiny_llama_dir),
            "encoder": str(tiny_bert64_dir),
            "batch_size": 4,
            "micro_batch_size": 2,
            "max_message_tokens": 16,
        }
        return LogLLMConfig(**(settings | overrides))

    return make
