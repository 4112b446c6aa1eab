"""Shared fixtures: where the real data is, and tiny log files written on the fly."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from logad.data.shared import shared_data_dir


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (the default run: one worker per core), one compute thread per worker and per process a
    test starts: torch's default of one thread per core in every worker would oversubscribe the cores."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(variable, "1")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real Loghub data beside the project; tests that need it skip with a reason when it is absent."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data not found (set LOGAD_SHARED_DATA to run tests on real data)")
    return path


def _tiny_bert(directory: Path, hidden: int) -> Path:
    """A randomly initialised 2-layer BERT of width ``hidden`` saved with all-MiniLM-L6-v2's real tokenizer."""
    transformers = pytest.importorskip("transformers")
    from logad.detectors.common.encoders import resolve_encoder

    tokenizer = transformers.AutoTokenizer.from_pretrained(resolve_encoder("all-MiniLM-L6-v2"))
    config = transformers.BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=128,
    )
    transformers.BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT (no download)."""
    return _tiny_bert(tmp_path_factory.mktemp("tiny-bert"), 32)


@pytest.fixture(scope="session")
def tiny_bert64_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like ``tiny_bert_dir`` but 64 wide: bitsandbytes quantises in blocks of 64 (LogLLM's 4-bit path)."""
    return _tiny_bert(tmp_path_factory.mktemp("tiny-bert64"), 64)


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer, 64-wide Llama saved with a word-piece tokenizer whose EOS is [SEP]."""
    transformers = pytest.importorskip("transformers")
    from logad.detectors.common.encoders import resolve_encoder

    directory = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = transformers.AutoTokenizer.from_pretrained(resolve_encoder("all-MiniLM-L6-v2"))
    tokenizer.eos_token = "[SEP]"
    config = transformers.LlamaConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        eos_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_detector_config(request: pytest.FixtureRequest) -> Callable[[str], dict[str, Any]]:
    """The run config (``preset`` and ``detector`` sections, as ``logad train --config`` reads them) that trains a
    tiny model of a registered detector in seconds; the contract and serving tests train every detector with it.
    A detector without an entry here fails those tests, naming this fixture. Tiny models are built on first use."""

    def path(fixture: str) -> str:
        return str(request.getfixturevalue(fixture))

    configs: dict[str, Callable[[], dict[str, Any]]] = {
        "baseline": lambda: {"detector": {}},
        "deeplog": lambda: {"preset": "tiny", "detector": {}},
        "bertloganom": lambda: {"preset": "tiny", "detector": {}},
        "logsentry": lambda: {
            "preset": "cpu",
            "detector": {
                "encoder": path("tiny_bert_dir"),
                "max_tokens": 96,
                "pretrain_batch_size": 8,
                "finetune_batch_size": 16,
                "finetune_epochs": 2,
                "lr": 0.002,
                "head_hidden": 16,
                "tenant": "tenant-0",
            },
        },
        "logllm": lambda: {
            "preset": "cpu",
            "detector": {
                "llm": path("tiny_llama_dir"),
                "encoder": path("tiny_bert64_dir"),
                "batch_size": 8,
                "micro_batch_size": 4,
                "max_message_tokens": 24,
                "llm_stage": {"lr": 0.005, "max_examples": 16},
                "all_stage": {"lr": 0.002, "epochs": 1, "max_examples": 32},
            },
        },
    }

    def config(name: str) -> dict[str, Any]:
        if name not in configs:
            pytest.fail(
                f"detector {name!r} has no tiny test config: add one to `tiny_detector_config` in tests/conftest.py"
            )
        return configs[name]()

    return config
