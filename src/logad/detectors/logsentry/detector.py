"""LogSentryDetector: contrastive pre-training, fine-tuning and a k-NN vote over a Milvus knowledge base."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from logad.config import config_to_dict
from logad.data.types import LogSequence
from logad.detectors.base import Detector, FitContext
from logad.detectors.common.cache import LruCache
from logad.detectors.common.examples import distinct_examples, few_label_indices
from logad.detectors.common.warm import most_frequent, read_warm_outputs, write_warm_outputs
from logad.detectors.logsentry import CAPABILITIES
from logad.detectors.logsentry.classifier import LogSentryClassifier
from logad.detectors.logsentry.config import PRESETS, LogSentryConfig
from logad.detectors.logsentry.encoder import SequenceEncoder
from logad.detectors.logsentry.finetune import finetune
from logad.detectors.logsentry.inference import run_batched
from logad.detectors.logsentry.knowledge import KnowledgeBaseRef
from logad.detectors.logsentry.pretrain import pretrain
from logad.detectors.logsentry.retrieval import fuse
from logad.detectors.logsentry.text import window_texts
from logad.detectors.registry import register_detector
from logad.errors import BadInputError, ConfigError
from logad.jsonio import read_json_object, write_json_atomic
from logad.kb import KnowledgeBase, KnowledgeBaseUnavailable, collection_name, knn_probability, undersample
from logad.parsing.preprocessor import Preprocessor
from logad.train.checkpoints import fingerprint, run_checkpoints
from logad.train.history import EpochStats, from_records, to_records
from logad.train.ranks import is_main_process

RETRIEVAL_ENCODER_DIR = "retrieval_encoder"
CLASSIFIER_ENCODER_DIR = "classifier_encoder"
HEAD_FILE = "classifier_head.pt"
STATE_FILE = "logsentry.json"
FEEDBACK_SOURCE = "feedback"  # knowledge-base source of an operator's verdict: feedback/<window id>
WARM_OUTPUTS = "warm_outputs"


@register_detector
class LogSentryDetector(Detector):
    """Scores are fused anomaly probabilities: beta * p_model + (1 - beta) * p_knn."""

    name = "logsentry"
    config_class = LogSentryConfig
    supervised = True
    scores_are_probabilities = True
    learns_from_feedback = True
    presets = PRESETS
    capabilities = CAPABILITIES

    def __init__(self, config: LogSentryConfig, preprocessor: Preprocessor) -> None:
        super().__init__(config, preprocessor)
        self.retrieval_encoder: SequenceEncoder | None = None
        self.classifier: LogSentryClassifier | None = None
        self.kb_ref: KnowledgeBaseRef | None = None
        self.history: list[EpochStats] = []
        self._model_dir: Path | None = None
        self._kb: KnowledgeBase | None = None
        self._p_model_cache: LruCache[float] = LruCache(config.cache_size)
        self._embedding_cache: LruCache[np.ndarray] = LruCache(config.cache_size)
        self._warm_texts: list[str] = []

    # ---- training -------------------------------------------------------------------------------------------
    def fit(self, train: Sequence[LogSequence], validation: Sequence[LogSequence], context: FitContext) -> None:
        cfg = self.config
        torch.manual_seed(cfg.seed)
        labelled = [seq for seq in train if seq.label is not None]
        labels = np.array([seq.label for seq in labelled], dtype=int)
        keep = few_label_indices(labels, cfg.label_fraction, cfg.seed)
        labelled, labels = [labelled[i] for i in keep], labels[keep]
        if len(set(labels.tolist())) < 2:
            raise BadInputError("logsentry needs normal and anomalous training windows; check the labels")
        texts = self._texts(labelled)
        train_texts, train_labels = distinct_examples(texts, labels) if cfg.train_on_distinct else (texts, labels)

        encoder = SequenceEncoder.from_pretrained(cfg.encoder, cfg.max_tokens)
        run = fingerprint(config_to_dict(cfg), train_texts, train_labels.tolist())
        if cfg.pretrain_epochs:
            checkpoints = run_checkpoints(context.work_dir, f"pretrain-{run}")
            self.history += pretrain(encoder, train_texts, train_labels, cfg, context.show_progress, checkpoints)
        self.retrieval_encoder = copy.deepcopy(encoder).eval()
        self.classifier = LogSentryClassifier(encoder, cfg.head_hidden, cfg.dropout)
        checkpoints = run_checkpoints(context.work_dir, f"finetune-{run}")
        self.history += finetune(self.classifier, train_texts, train_labels, cfg, context.show_progress, checkpoints)
        if cfg.beta < 1.0 and is_main_process():  # one writer; helper ranks of a distributed run stop after fitting
            self._create_knowledge_base(context)
            self.add_to_knowledge_base(labelled, cfg.tenant, "train", context.show_progress)
        self._warm_texts = most_frequent(self._texts([*train, *validation]), cfg.warm_windows)
        self._warm_outputs()

    def _warm_outputs(self) -> dict[str, np.ndarray]:
        """The outputs ``score`` caches, for the most frequent training texts (computed now where missing)."""
        outputs = {"p_model": self._p_model(self._warm_texts)}
        if self.kb_ref is not None:
            outputs["embedding"] = self._embeddings(self._warm_texts)
        return outputs

    def _create_knowledge_base(self, context: FitContext) -> None:
        if context.work_dir is None:
            raise ConfigError("logsentry keeps its knowledge base beside the model: FitContext.work_dir is required")
        version = context.model_version or f"logsentry-{uuid.uuid4().hex[:12]}"
        uri = self.config.kb.uri
        self._model_dir = Path(context.work_dir) / "model"
        self.kb_ref = KnowledgeBaseRef(
            uri, collection_name(self.name, version), version, self.retrieval_encoder.hidden_size, self.config.tenant
        )
        self._kb = self.kb_ref.open(self.config.kb, self._model_dir, create=True)

    def add_to_knowledge_base(
        self, sequences: Sequence[LogSequence], tenant: str, source: str, show_progress: bool = False
    ) -> int:
        """Embed labelled windows with the pre-trained encoder and write them as what ``tenant``'s ``source``
        holds (replacing its earlier rows; windows with the same text and label share a row); ``kb_undersample``
        keeps at most that many normal windows per anomalous one. Returns rows written."""
        labelled = [seq for seq in sequences if seq.label is not None]
        labels = np.array([seq.label for seq in labelled], dtype=int)
        keep = undersample(labels, self.config.kb_undersample, self.config.seed)
        chosen = [labelled[i] for i in keep]
        if not chosen:
            raise BadInputError("no labelled windows to add to the knowledge base (pass --labels?)")
        texts = self._texts(chosen)
        embeddings = self._embeddings(texts, show_progress)
        return self.knowledge_base().write(tenant, source, texts, [seq.id for seq in chosen], embeddings, labels[keep])

    def learn_feedback(self, sequences: Sequence[LogSequence], tenant: str) -> int:
        """Each window with its corrected label becomes a row of ``tenant``'s own knowledge-base partition, under a
        source of its own (``feedback/<window id>``) so that a later verdict on the same window replaces its row.
        The next vote sees it: only p_model and embeddings are cached, and neither depends on the rows."""
        unlabelled = [seq.id for seq in sequences if seq.label not in (0, 1)]
        if unlabelled:
            raise BadInputError(f"feedback windows need a label of 0 or 1; window {unlabelled[0]!r} has none")
        kb = self.knowledge_base()
        texts = self._texts(sequences)
        vectors = self._embeddings(texts)
        return sum(
            kb.write(tenant, f"{FEEDBACK_SOURCE}/{seq.id}", [text], [seq.id], vector[None], [seq.label])
            for seq, text, vector in zip(sequences, texts, vectors, strict=True)
        )

    # ---- inference ------------------------------------------------------------------------------------------
    def score(self, sequences: Sequence[LogSequence]) -> np.ndarray:
        return self.score_tenant(sequences, self.config.tenant)

    def score_tenant(self, sequences: Sequence[LogSequence], tenant: str) -> np.ndarray:
        """Fused scores using only ``tenant``'s knowledge base rows (p_model alone where it has none)."""
        parts = self.score_components(sequences, tenant, self.config.k if self.config.beta < 1.0 else 0)
        return fuse(parts["p_model"], parts["p_knn"], self.config.beta)

    def score_components(self, sequences: Sequence[LogSequence], tenant: str, k: int) -> dict[str, Any]:
        """``p_model`` and the k-NN vote ``p_knn`` (NaN without neighbours; not computed when ``k`` is 0), plus
        the raw ``hits`` for benchmarks and explanations."""
        texts = self._texts(sequences)
        p_model = self._p_model(texts)
        p_knn = np.full(len(texts), np.nan)
        hits = None
        if k and texts and self.kb_ref is not None:
            distinct = list(dict.fromkeys(texts))
            position = {text: i for i, text in enumerate(distinct)}
            rows = [position[text] for text in texts]
            hits = self.knowledge_base().search(tenant, self._embeddings(distinct), k)
            hits = hits.at_least(self.config.knn_min_similarity)
            p_knn = knn_probability(hits.similarities, hits.labels, self.config.knn_temperature, hits.windows)[rows]
            hits = (hits, rows)
        return {"p_model": p_model, "p_knn": p_knn, "hits": hits}

    def explain(self, sequences: Sequence[LogSequence]) -> list[dict[str, Any]]:
        return self.explain_tenant(sequences, self.config.tenant)

    def explain_tenant(self, sequences: Sequence[LogSequence], tenant: str) -> list[dict[str, Any]]:
        """p_model, and the k-NN vote with the five nearest of ``tenant``'s knowledge-base rows (each row: an example
        window's id, the label, the similarity and how many windows share that text)."""
        parts = self.score_components(sequences, tenant, self.config.k if self.config.beta < 1 else 0)
        explanations = []
        for i in range(len(sequences)):
            entry: dict[str, Any] = {"p_model": float(parts["p_model"][i])}
            if parts["hits"] is not None:
                hits, rows = parts["hits"]
                row = rows[i]
                entry["p_knn"] = None if np.isnan(parts["p_knn"][i]) else float(parts["p_knn"][i])
                entry["neighbours"] = [
                    {"id": seq_id, "label": int(label), "similarity": round(float(sim), 4), "windows": int(windows)}
                    for seq_id, label, sim, windows in zip(
                        hits.seq_ids[row][:5], hits.labels[row], hits.similarities[row], hits.windows[row], strict=False
                    )
                ]
            explanations.append(entry)
        return explanations

    def embeddings_of(self, sequences: Sequence[LogSequence]) -> np.ndarray:
        """Retrieval embeddings (pre-trained encoder) of ``sequences``, one row each."""
        return self._embeddings(self._texts(sequences))

    def distinct_texts(self, sequences: Sequence[LogSequence]) -> int:
        """How many distinct encoder inputs ``sequences`` make (what scoring really computes)."""
        return len(set(self._texts(sequences)))

    def _texts(self, sequences: Sequence[LogSequence]) -> list[str]:
        return window_texts(sequences, self.preprocessor, self.config.placeholder_text, self.config.text_form)

    def clear_caches(self) -> None:
        """Forget cached per-text outputs (for cold-cache timing)."""
        self._p_model_cache.clear()
        self._embedding_cache.clear()

    def _p_model(self, texts: list[str]) -> np.ndarray:
        classifier = self.fitted(self.classifier)

        def probabilities(missing: list[str]) -> list[float]:
            logits = run_batched(classifier, classifier.encoder, missing, self.config.encode_batch_size, "classify")
            return (1.0 / (1.0 + np.exp(-logits))).tolist()

        return np.array(self._p_model_cache.lookup(texts, probabilities), dtype=float)

    def _embeddings(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        encoder = self.fitted(self.retrieval_encoder)

        def embed(missing: list[str]) -> np.ndarray:
            return run_batched(
                lambda batch: encoder(batch)[1], encoder, missing, self.config.encode_batch_size, "embed", show_progress
            )

        return np.stack(self._embedding_cache.lookup(texts, embed)) if texts else np.zeros((0, 1))

    def knowledge_base_tenant(self) -> str | None:
        """The tenant whose windows training wrote; None when the model has no knowledge base (beta = 1)."""
        return None if self.kb_ref is None else self.kb_ref.tenant

    def knowledge_base(self, create: bool = False) -> KnowledgeBase:
        """The open knowledge base, opened on first use (``create``: make the collection again if it was
        dropped); refuses one built for another model version."""
        if self._kb is None:
            if self.kb_ref is None or self._model_dir is None:
                raise ConfigError("this logsentry model has no knowledge base (it was trained with beta = 1)")
            self._kb = self.kb_ref.open(self.config.kb, self._model_dir, create)
        return self._kb

    def open_resources(self) -> None:
        """Open the knowledge base and check its model version (when the model uses retrieval)."""
        if self.config.beta < 1.0 and self.kb_ref is not None:
            self.knowledge_base()

    def resources_problem(self) -> str | None:
        """Why the open knowledge base's Milvus server cannot serve now, or None."""
        if self._kb is None:
            return None
        try:
            self._kb.ping()
        except KnowledgeBaseUnavailable as exc:
            return str(exc)
        return None

    def close(self) -> None:
        """Release the knowledge base (milvus-lite lets one process hold a database at a time)."""
        if self._kb is not None:
            self._kb.close()
            self._kb = None

    # ---- persistence ----------------------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory = Path(directory)
        classifier = self.fitted(self.classifier)
        self.fitted(self.retrieval_encoder).save_pretrained(directory / RETRIEVAL_ENCODER_DIR)
        classifier.encoder.save_pretrained(directory / CLASSIFIER_ENCODER_DIR)
        torch.save(classifier.head_state_dict(), directory / HEAD_FILE)
        ref = None
        if self.kb_ref is not None:
            ref = self.kb_ref.relocated(self._model_dir or directory, directory).to_dict()
        write_json_atomic(directory / STATE_FILE, {"knowledge_base": ref, "history": to_records(self.history)})
        write_warm_outputs(directory, WARM_OUTPUTS, self._warm_texts, self._warm_outputs())

    @classmethod
    def load(cls, directory: Path, config: LogSentryConfig, preprocessor: Preprocessor) -> LogSentryDetector:
        directory = Path(directory)
        state = read_json_object(directory / STATE_FILE, "logsentry state")
        detector = cls(config, preprocessor)
        detector.retrieval_encoder = SequenceEncoder.from_pretrained(
            directory / RETRIEVAL_ENCODER_DIR, config.max_tokens
        ).eval()
        encoder = SequenceEncoder.from_pretrained(directory / CLASSIFIER_ENCODER_DIR, config.max_tokens)
        detector.classifier = LogSentryClassifier(encoder, config.head_hidden, config.dropout)
        detector.classifier.load_head_state_dict(torch.load(directory / HEAD_FILE, weights_only=True))
        detector.classifier.eval()
        detector.history = from_records(state.get("history", []))
        if state.get("knowledge_base"):
            detector.kb_ref = KnowledgeBaseRef(**state["knowledge_base"])
            detector._model_dir = directory
        detector._warm_texts, outputs = read_warm_outputs(directory, WARM_OUTPUTS)
        if "p_model" in outputs:
            detector._p_model_cache.fill(detector._warm_texts, outputs["p_model"].tolist())
        if "embedding" in outputs:
            detector._embedding_cache.fill(detector._warm_texts, list(outputs["embedding"]))
        return detector
