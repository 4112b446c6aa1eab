"""The LogLLM network: message vectors -> linear projector -> the LLM reading them inside the prompt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from peft import TaskType
from torch import nn

from logad.detectors.logllm.config import LogLLMConfig
from logad.detectors.logllm.embedder import MessageEmbedder
from logad.detectors.logllm.pretrained import (
    compute_dtype,
    device,
    load_encoder,
    load_llm,
    with_lora,
    with_saved_adapter,
)
from logad.detectors.logllm.prompt import IGNORE_INDEX, PromptBatch, PromptTemplate

LLM_ADAPTER_DIR = "llm_adapter"
ENCODER_ADAPTER_DIR = "encoder_adapter"
PROJECTOR_FILE = "projector.pt"


class LogLLMModel(nn.Module):
    """LLM (with LoRA) + message embedder (encoder with LoRA) + projector, and the prompt around them."""

    def __init__(
        self, llm: nn.Module, template: PromptTemplate, embedder: MessageEmbedder, projector: nn.Linear
    ) -> None:
        super().__init__()
        self.llm = llm
        self.encoder = embedder.encoder
        self.projector = projector
        self.embedder = embedder
        self.template = template
        self.encoder_trainable = False

    def window_vectors(self, windows: list[list[str]], show_progress: bool = False) -> list[torch.Tensor]:
        """Projected message vectors, one (messages, LLM hidden) tensor per window."""
        messages = [message for window in windows for message in window]
        if self.encoder_trainable:
            vectors, rows = self.embedder.trainable_vectors(messages)
        else:
            vectors, rows = self.embedder.cached_vectors(messages, show_progress)
        projected = self.projector(vectors.to(self.projector.weight.dtype))[torch.as_tensor(rows, dtype=torch.long)]
        return list(torch.split(projected, [len(window) for window in windows]))

    def _hidden_states(self, windows: list[list[str]], labels: list[int] | None) -> tuple[PromptBatch, torch.Tensor]:
        """The assembled batch and the LLM's last hidden states (the vocabulary projection is applied only
        where it is needed: a large share of a small LLM's compute)."""
        batch = self.template.assemble(self.llm.get_input_embeddings(), self.window_vectors(windows), labels)
        decoder = self.llm.get_base_model().model
        hidden = decoder(inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask).last_hidden_state
        return batch, hidden

    def forward(self, windows: list[list[str]], labels: list[int]) -> torch.Tensor:
        """The training loss (``loss``), as the forward pass distributed wrappers call."""
        return self.loss(windows, labels)

    def loss(self, windows: list[list[str]], labels: list[int]) -> torch.Tensor:
        """Mean cross-entropy over the answer tokens (and EOS) of each window's labelled answer."""
        batch, hidden = self._hidden_states(windows, labels)
        targets = batch.labels[:, 1:]
        predicting = targets != IGNORE_INDEX
        logits = self.llm.get_output_embeddings()(hidden[:, :-1][predicting])
        return F.cross_entropy(logits.float(), targets[predicting])

    def anomaly_probability(self, windows: list[list[str]]) -> np.ndarray:
        """P("anomalous") against "normal" at the first token where the answers differ, one forward pass."""
        with torch.inference_mode():
            batch, hidden = self._hidden_states(windows, None)
            last = hidden[torch.arange(len(windows), device=hidden.device), batch.last_positions]
            head = self.llm.get_output_embeddings()
            ids = torch.as_tensor(self.template.decision_ids, device=last.device)
            bias = head.bias[ids] if head.bias is not None else None
            decision = F.linear(last, head.weight[ids], bias).float()
            return torch.softmax(decision, dim=-1)[:, 1].cpu().numpy()

    def save_weights(self, directory: Path) -> None:
        """Adapters and projector only (the base models are named in the config), in the PEFT layout."""
        directory.mkdir(parents=True, exist_ok=True)
        self.llm.save_pretrained(directory / LLM_ADAPTER_DIR)
        self.encoder.save_pretrained(directory / ENCODER_ADAPTER_DIR)
        torch.save(self.projector.state_dict(), directory / PROJECTOR_FILE)


def build_model(config: LogLLMConfig, weights: Path | None = None, trainable: bool = True) -> LogLLMModel:
    """Base models from the config with fresh LoRA adapters and projector, or those saved in ``weights``."""
    torch.manual_seed(config.seed)
    llm, tokenizer = load_llm(config, trainable)
    encoder, encoder_tokenizer = load_encoder(config, trainable)
    projector = nn.Linear(encoder.config.hidden_size, llm.config.hidden_size, dtype=compute_dtype(config))
    if weights is None:
        llm = with_lora(llm, config.llm_lora, TaskType.CAUSAL_LM)
        encoder = with_lora(encoder, config.encoder_lora, TaskType.FEATURE_EXTRACTION)
    else:
        llm = with_saved_adapter(llm, weights / LLM_ADAPTER_DIR, trainable)
        encoder = with_saved_adapter(encoder, weights / ENCODER_ADAPTER_DIR, trainable)
        projector.load_state_dict(torch.load(weights / PROJECTOR_FILE, weights_only=True, map_location="cpu"))
    embedder = MessageEmbedder(encoder, encoder_tokenizer, config.max_message_tokens, config.cache_size)
    model = LogLLMModel(llm, PromptTemplate(tokenizer), embedder, projector.to(device()))
    return model.eval()
