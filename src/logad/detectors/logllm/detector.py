"""LogLLMDetector: regex-preprocessed messages -> BERT vectors -> projector -> Llama (QLoRA), three stages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from logad.data.types import LogSequence
from logad.detectors.base import Detector, FitContext
from logad.detectors.common.cache import LruCache
from logad.detectors.common.examples import distinct_examples
from logad.detectors.common.warm import most_frequent, read_warm_outputs, write_warm_outputs
from logad.detectors.logllm import CAPABILITIES
from logad.detectors.logllm.checkpoints import (
    Resume,
    data_digest,
    epoch_checkpoints,
    find_resume,
    save_stage,
    stage_fingerprints,
)
from logad.detectors.logllm.config import PRESETS, LogLLMConfig
from logad.detectors.logllm.model import LogLLMModel, build_model
from logad.detectors.logllm.pretrained import allow_inference_layout
from logad.detectors.logllm.stages import train_stage
from logad.detectors.registry import register_detector
from logad.errors import BadInputError, ConfigError
from logad.jsonio import read_json_object, write_json_atomic
from logad.parsing.preprocessor import Preprocessor
from logad.train.distributed import distributed
from logad.train.history import EpochStats, from_records, to_records
from logad.train.ranks import is_main_process

STATE_FILE = "logllm.json"
STAGES_DIR = "stages"
WINDOW_SEPARATOR = "\x1e"  # ASCII record separator: never inside a log message
WARM_ANSWERS = "warm_answers"
WARM_MESSAGES = "warm_messages"


@register_detector
class LogLLMDetector(Detector):
    """Scores are P("anomalous") from the LLM's answer, against "normal"."""

    name = "logllm"
    config_class = LogLLMConfig
    supervised = True
    scores_are_probabilities = True
    presets = PRESETS
    capabilities = CAPABILITIES

    def __init__(self, config: LogLLMConfig, preprocessor: Preprocessor) -> None:
        super().__init__(config, preprocessor)
        self.model: LogLLMModel | None = None
        self.history: list[EpochStats] = []
        self._probability_cache: LruCache[float] = LruCache(config.cache_size)
        self._warm_keys: list[str] = []

    def window_messages(self, sequence: LogSequence) -> list[str]:
        """The window's last ``max_messages`` messages, masked by the preprocessor's regexes (no parser)."""
        return [self.preprocessor.mask(message) for message in sequence.messages[-self.config.max_messages :]]

    # ---- training -------------------------------------------------------------------------------------------
    def fit(self, train: Sequence[LogSequence], validation: Sequence[LogSequence], context: FitContext) -> None:
        cfg = self.config
        if cfg.quantization == "nf4" and distributed().zero3:
            raise ConfigError(
                "DeepSpeed ZeRO-3 cannot partition 4-bit (NF4) weights: set detector.quantization=none (plain LoRA) "
                "or use the zero2 config"
            )
        labelled = [seq for seq in train if seq.label is not None]
        windows = [self.window_messages(seq) for seq in labelled]
        labels = np.array([seq.label for seq in labelled], dtype=int)
        if len(set(labels.tolist())) < 2:
            raise BadInputError("logllm needs normal and anomalous training windows; check the labels")
        if cfg.train_on_distinct:
            keys, labels = distinct_examples([WINDOW_SEPARATOR.join(window) for window in windows], labels)
            windows = [key.split(WINDOW_SEPARATOR) for key in keys]
        fingerprints = stage_fingerprints(cfg, data_digest(windows, labels))
        root = self._checkpoint_root(context)
        resume = find_resume(root, cfg.stages, fingerprints) if root else Resume()
        self.model = build_model(cfg, resume.weights, trainable=True)
        torch.manual_seed(cfg.seed + distributed().rank)  # LoRA dropout differs per rank; the weights start equal
        self.history = list(resume.history)
        for position, stage in enumerate(cfg.stages):
            if position < resume.finished:
                continue
            writer = is_main_process()
            epochs = epoch_checkpoints(root, position, stage, fingerprints[position], writer) if root else None
            self.history += train_stage(self.model, windows, labels, stage, cfg, context.show_progress, epochs)
            if root and is_main_process():
                save_stage(root, position, stage, fingerprints[position], self.model, self.history)
        allow_inference_layout(self.model)
        self._probability_cache.clear()
        # Every rank makes the same calls (ZeRO-3 gathers weights in each forward pass).
        self._warm_keys = most_frequent([self._key(seq) for seq in [*train, *validation]], cfg.warm_windows)
        self._probabilities(self._warm_keys)

    def _key(self, sequence: LogSequence) -> str:
        """The window's masked messages as one cache key."""
        return WINDOW_SEPARATOR.join(self.window_messages(sequence))

    def _probabilities(self, keys: list[str]) -> np.ndarray:
        """P(anomalous) of each window key, cached ones read, the others answered by the model and cached."""
        model = self.fitted(self.model)
        return np.array(self._probability_cache.lookup(keys, lambda missing: self._answer(model, missing)))

    def _checkpoint_root(self, context: FitContext) -> Path | None:
        """``checkpoint_dir`` if set, else ``<work_dir>/stages``; None when there is nowhere to write."""
        if self.config.checkpoint_dir:
            return Path(self.config.checkpoint_dir)
        return Path(context.work_dir) / STAGES_DIR if context.work_dir else None

    # ---- inference ------------------------------------------------------------------------------------------
    def score(self, sequences: Sequence[LogSequence]) -> np.ndarray:
        return self._probabilities([self._key(seq) for seq in sequences])

    def _answer(self, model: LogLLMModel, keys: list[str]) -> list[float]:
        """P(anomalous) of each window key, scored in batches of similar length."""
        order = sorted(range(len(keys)), key=lambda i: keys[i].count(WINDOW_SEPARATOR))
        probabilities = [0.0] * len(keys)
        batch = self.config.score_batch_size
        show = len(keys) > 10 * batch
        for start in tqdm(range(0, len(keys), batch), desc="LLM", disable=not show):
            chunk = order[start : start + batch]
            scores = model.anomaly_probability([keys[i].split(WINDOW_SEPARATOR) for i in chunk])
            for i, probability in zip(chunk, scores.tolist(), strict=True):
                probabilities[i] = probability
        return probabilities

    def explain(self, sequences: Sequence[LogSequence]) -> list[dict[str, Any]]:
        scores = self.score(sequences)
        windows = [self.window_messages(seq) for seq in sequences]
        return [
            {
                "p_anomalous": round(float(score), 4),
                "answer": "anomalous" if score > 0.5 else "normal",
                "messages": len(window),
                "distinct_messages": len(set(window)),
            }
            for window, score in zip(windows, scores, strict=True)
        ]

    def clear_caches(self) -> None:
        """Forget cached window probabilities and message vectors (for cold-cache timing)."""
        self._probability_cache.clear()
        self.fitted(self.model).embedder.cache.clear()

    # ---- persistence ----------------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        self.fitted(self.model).save_weights(Path(directory))
        state = {"stages": self.config.stages, "history": to_records(self.history)}
        write_json_atomic(Path(directory) / STATE_FILE, state)
        answers = self._probabilities(self._warm_keys)
        write_warm_outputs(directory, WARM_ANSWERS, self._warm_keys, {"probability": answers})
        messages = list(dict.fromkeys(m for key in self._warm_keys for m in key.split(WINDOW_SEPARATOR)))
        vectors, _ = self.fitted(self.model).embedder.cached_vectors(messages)
        write_warm_outputs(directory, WARM_MESSAGES, messages, {"vector": vectors.cpu().numpy()})

    @classmethod
    def load(cls, directory: Path, config: LogLLMConfig, preprocessor: Preprocessor) -> LogLLMDetector:
        state = read_json_object(Path(directory) / STATE_FILE, "logllm state")
        detector = cls(config, preprocessor)
        detector.model = build_model(config, Path(directory), trainable=False)
        detector.history = from_records(state.get("history", []))
        detector._warm_keys, answers = read_warm_outputs(directory, WARM_ANSWERS)
        if "probability" in answers:
            detector._probability_cache.fill(detector._warm_keys, answers["probability"].tolist())
        messages, vectors = read_warm_outputs(directory, WARM_MESSAGES)
        if "vector" in vectors:
            detector.model.embedder.cache.fill(messages, map(torch.from_numpy, vectors["vector"]))
        return detector
