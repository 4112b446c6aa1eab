"""`logad bench logllm-memory`: peak memory and time of one LogLLM training micro-batch (stage 3: LLM LoRA,
projector and encoder LoRA trained together) at the paper's model sizes, without downloading them.

The models are built from their published configurations with random weights (memory and speed depend on the
shapes, not on the values), saved once to a temporary folder and loaded through LogLLM's own loading path, so
NF4 quantisation, LoRA and the prompt are exactly what training uses. On a GPU the peak is
``torch.cuda.max_memory_allocated``; on the CPU it is the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import torch

from logad.bench.memory import PeakRss
from logad.bench.scenario_table import BenchResult, register_scenario


@dataclass(frozen=True)
class ModelShapes:
    """An LLM and a message encoder, each a transformers configuration (keyword arguments)."""

    name: str
    llm: dict[str, Any]
    encoder: dict[str, Any]


LLAMA_3_8B = dict(
    hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
    num_key_value_heads=8, vocab_size=128256, rope_theta=500000.0, max_position_embeddings=8192,
)  # fmt: skip
SMOLLM2_135M = dict(
    hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
    vocab_size=49152, tie_word_embeddings=True,
)  # fmt: skip
BERT_BASE = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
MINILM_L6 = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
TINY = (
    dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2),
    dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128),
)
SHAPES = {
    "paper": ModelShapes("Llama-3-8B + bert-base-uncased", LLAMA_3_8B, BERT_BASE),
    "default": ModelShapes("SmolLM2-135M + all-MiniLM-L6-v2", SMOLLM2_135M, MINILM_L6),
    "tiny": ModelShapes("tiny (2 layers, 64 wide)", *TINY),
}
_COLUMNS = ["models", "quantization", "dtype", "device", "messages", "tokens/message", "micro-batch",
            "loaded GiB", "peak GiB", "step s"]  # fmt: skip


def _save_random_models(shapes: ModelShapes, folder: Path) -> tuple[Path, Path]:
    """Random-weight checkpoints of ``shapes`` in bfloat16, with the packaged encoder's tokenizer for both."""
    from transformers import AutoTokenizer, BertConfig, BertModel, LlamaConfig, LlamaForCausalLM

    from logad.detectors.common.encoders import resolve_encoder

    tokenizer = AutoTokenizer.from_pretrained(resolve_encoder("all-MiniLM-L6-v2"))
    tokenizer.eos_token = "[SEP]"
    where = "cuda" if torch.cuda.is_available() else "cpu"
    llm_config = LlamaConfig(**(shapes.llm | {"vocab_size": max(shapes.llm.get("vocab_size", 0), len(tokenizer))}))
    encoder_config = BertConfig(vocab_size=len(tokenizer), **shapes.encoder)
    paths = folder / "llm", folder / "encoder"
    for model_class, config, path in ((LlamaForCausalLM, llm_config, paths[0]), (BertModel, encoder_config, paths[1])):
        with torch.device(where):
            model = model_class(config).to(torch.bfloat16)
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)
        del model
    if where == "cuda":
        torch.cuda.empty_cache()
    return paths


def _windows(count: int, messages: int, words: int, rng: np.random.Generator) -> list[list[str]]:
    """Windows of distinct messages (no cache hits), each long enough to fill ``words`` tokens."""
    vocabulary = np.array([f"w{n}" for n in range(5000)])
    return [[" ".join(rng.choice(vocabulary, words)) for _ in range(messages)] for _ in range(count)]


def _measure(llm: Path, encoder: Path, quantization: str, sizes: tuple[int, int, int], seed: int) -> dict[str, Any]:
    from logad.detectors.logllm.config import LogLLMConfig
    from logad.detectors.logllm.model import build_model
    from logad.detectors.logllm.pretrained import compute_dtype
    from logad.detectors.logllm.stages import set_stage

    messages, tokens, micro_batch = sizes
    config = LogLLMConfig(
        llm=str(llm), encoder=str(encoder), quantization=quantization, max_messages=messages,
        max_message_tokens=tokens, micro_batch_size=micro_batch, batch_size=micro_batch, seed=seed,
    )  # fmt: skip
    gpu = torch.cuda.is_available()
    model = build_model(config)
    loaded = torch.cuda.memory_allocated() if gpu else psutil.Process().memory_info().rss
    set_stage(model, "all")
    windows = _windows(micro_batch, messages, tokens, np.random.default_rng(seed))
    labels = [n % 2 for n in range(micro_batch)]
    model.loss(windows, labels).backward()  # warm-up: kernels, allocator
    model.zero_grad(set_to_none=True)
    if gpu:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    with PeakRss() as rss:
        start = time.perf_counter()
        model.loss(windows, labels).backward()
        if gpu:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() if gpu else rss.peak
    del model
    if gpu:
        torch.cuda.empty_cache()
    return {
        "quantization": quantization, "dtype": str(compute_dtype(config)).removeprefix("torch."),
        "device": torch.cuda.get_device_name() if gpu else "cpu", "messages": messages, "tokens/message": tokens,
        "micro-batch": micro_batch, "loaded GiB": round(loaded / 2**30, 2), "peak GiB": round(peak / 2**30, 2),
        "step s": round(seconds, 2),
    }  # fmt: skip


@register_scenario("logllm-memory")
def logllm_memory_scenario(args: argparse.Namespace) -> BenchResult:
    which = ["tiny"] if args.quick else (["default", "paper"] if torch.cuda.is_available() else ["default"])
    sizes = (16, 16, 2) if args.quick else (128, 100, 4)
    rows = []
    for name in which:
        with tempfile.TemporaryDirectory(prefix="logllm-shapes-") as folder:
            llm, encoder = _save_random_models(SHAPES[name], Path(folder))
            for quantization in ("nf4", "none"):
                rows.append({"models": SHAPES[name].name} | _measure(llm, encoder, quantization, sizes, args.seed))
    return BenchResult(
        title="LogLLM training memory and time, one micro-batch of stage 3",
        columns=_COLUMNS,
        rows=rows,
        meta={"shapes": which},
        notes=[
            "Random weights in the published shapes, loaded through LogLLM's loader (NF4 via bitsandbytes or plain "
            "LoRA), every window of distinct messages (no cached vectors); forward + backward of one micro-batch "
            "after a warm-up one. The paper's own figure is 16.6-38 GB of GPU memory with Llama-3-8B.",
            "loaded: memory held once both models are loaded (torch.cuda.memory_allocated on a GPU, resident memory "
            "on the CPU); peak: the most during the step (torch.cuda.max_memory_allocated, or peak resident memory). "
            "The paper shapes run only on a GPU: an 8B model does not fit this project's CPU machines.",
        ],
    )
