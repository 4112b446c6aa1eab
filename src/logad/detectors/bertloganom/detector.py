"""BertLogAnomDetector: fit on normal windows, score = alpha x miss fraction + (1 - alpha) x scaled distance."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from logad.config import config_to_dict
from logad.data.types import LogSequence
from logad.detectors.base import Detector, FitContext
from logad.detectors.bertloganom import CAPABILITIES
from logad.detectors.bertloganom.config import PRESETS, BertLogAnomConfig
from logad.detectors.bertloganom.inference import Inspection, inspect
from logad.detectors.bertloganom.inputs import Window, distinct, encode, message_positions
from logad.detectors.bertloganom.model import BertLogAnomModel
from logad.detectors.bertloganom.training import train_model
from logad.detectors.registry import register_detector
from logad.errors import BadInputError
from logad.jsonio import read_json_object, write_json_atomic
from logad.parsing.preprocessor import Preprocessor
from logad.train.checkpoints import fingerprint, run_checkpoints
from logad.train.distributed import distributed
from logad.train.history import EpochStats, from_records, to_records

WEIGHTS_FILE = "bertloganom.pt"
STATE_FILE = "bertloganom.json"
EXPLAIN_LIMIT = 5
"""Missed events listed per window by ``explain``, least expected first."""


@register_detector
class BertLogAnomDetector(Detector):
    """Unsupervised BERT-LogAnom (LogBERT lineage): masked log key prediction + hypersphere minimisation.

    After training, the centre is the (count-weighted) mean training-window vector and distances are divided by
    the mean training distance, so the two score components have comparable scales.
    """

    name = "bertloganom"
    config_class = BertLogAnomConfig
    supervised = False
    scores_are_probabilities = False
    presets: ClassVar[dict[str, dict[str, Any]]] = PRESETS
    capabilities = CAPABILITIES

    def __init__(self, config: BertLogAnomConfig, preprocessor: Preprocessor) -> None:
        super().__init__(config, preprocessor)
        self.vocab_size = 0
        self.model: BertLogAnomModel | None = None
        self.centre = np.zeros(0)
        self.distance_scale = 1.0
        self.history: list[EpochStats] = []

    def fit(self, train: Sequence[LogSequence], validation: Sequence[LogSequence], context: FitContext) -> None:
        cfg = self.config
        self.vocab_size = self.preprocessor.vocab_size
        windows = [w for w in self._encode(train) if w[0]]
        if not windows:
            raise BadInputError("bertloganom needs at least one non-empty training window")
        normal_validation = [seq for seq in validation if seq.label != 1]
        held_out = [w for w in self._encode(normal_validation) if w[0]]
        unique, inverse = distinct(windows)
        if cfg.train_on_distinct:
            windows, held_out = unique, distinct(held_out)[0]
        torch.manual_seed(cfg.seed)
        self.model = BertLogAnomModel(cfg, self.keys)
        torch.manual_seed(cfg.seed + distributed().rank)  # dropout differs per rank; the weights start equal
        run = fingerprint(config_to_dict(cfg), self.vocab_size, windows, held_out)
        checkpoints = run_checkpoints(context.work_dir, run)
        self.history = train_model(self.model, windows, held_out, cfg, context.show_progress, checkpoints)
        self._fit_centre(unique, np.bincount(inverse))

    def score(self, sequences: Sequence[LogSequence]) -> np.ndarray:
        components = self.score_components(sequences)
        alpha = self.config.alpha
        return alpha * components[self.config.key_score] + (1 - alpha) * components["distance"]

    def score_components(self, sequences: Sequence[LogSequence]) -> dict[str, np.ndarray]:
        """``top_g``: fraction of events outside the top-g predictions; ``surprisal`` / ``max_surprisal``: mean /
        largest negative log-probability of the events' templates; ``distance``: squared distance to the centre over
        the mean training distance. ``score`` = alpha x the ``key_score`` one + (1 - alpha) x distance."""
        _, inspection, inverse = self._inspect(sequences, with_candidates=False)
        return {name: values[inverse] for name, values in self._components(inspection).items()}

    def explain(self, sequences: Sequence[LogSequence]) -> list[dict[str, Any]]:
        """Per window: the score components and the unexpected events, least expected first: those outside the
        top-g predictions (``key_score`` top_g) or the least probable ones (surprisal), each with its message
        index, template (None for the end-of-window key, index one past the last message), predicted probability
        and the top-g predictions."""
        unique, inspection, inverse = self._inspect(sequences, with_candidates=True)
        components = self._components(inspection)
        surprisal_mode = self.config.key_score != "top_g"
        explanations = []
        for seq, row in zip(sequences, inverse.tolist(), strict=True):
            ids = unique[row][0]
            positions = [*self._message_positions(seq), len(seq.messages)]  # the end key sits past the last message
            probabilities, candidates = inspection.probabilities[row], inspection.candidates[row]
            listed = np.arange(len(ids)) if surprisal_mode else np.flatnonzero(~inspection.hits[row])
            listed = listed[np.argsort(probabilities[listed], kind="stable")][:EXPLAIN_LIMIT]
            events = [
                {
                    "index": positions[p],
                    "template_id": ids[p] if ids[p] < self.vocab_size else None,
                    "probability": float(probabilities[p]),
                    "predicted": candidates[p].tolist(),
                }
                for p in listed
            ]
            explanations.append({name: float(values[row]) for name, values in components.items()} | {"missed": events})
        return explanations

    def save(self, directory: Path) -> None:
        torch.save(self.fitted(self.model).state_dict(), directory / WEIGHTS_FILE)
        state = {
            "vocab_size": self.vocab_size,
            "centre": self.centre.tolist(),
            "distance_scale": self.distance_scale,
            "history": to_records(self.history),
        }
        write_json_atomic(directory / STATE_FILE, state)

    @classmethod
    def load(cls, directory: Path, config: BertLogAnomConfig, preprocessor: Preprocessor) -> BertLogAnomDetector:
        state = read_json_object(directory / STATE_FILE, "bertloganom state")
        weights = directory / WEIGHTS_FILE
        if not weights.is_file():
            raise BadInputError(f"bertloganom weights file {weights} is missing")
        detector = cls(config, preprocessor)
        detector.vocab_size = int(state["vocab_size"])
        detector.centre = np.asarray(state["centre"], dtype=np.float64)
        detector.distance_scale = float(state["distance_scale"])
        detector.history = from_records(state.get("history", []))
        detector.model = BertLogAnomModel(config, detector.keys)
        try:
            detector.model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        except RuntimeError as exc:
            raise BadInputError(f"{weights} does not match the bertloganom config: {exc}") from None
        return detector

    @property
    def keys(self) -> int:
        """Keys the model predicts: the template IDs, and the end-of-window key (ID ``vocab_size``) with
        ``end_token``."""
        return self.vocab_size + int(self.config.end_token)

    def _encode(self, sequences: Sequence[LogSequence]) -> list[Window]:
        cfg, vocab = self.config, self.vocab_size
        end_id = vocab if cfg.end_token else None
        return [  # an open window has not ended: no end key
            encode(
                seq,
                self.preprocessor,
                vocab,
                cfg.events_kept,
                cfg.use_time_gaps,
                None if seq.open else end_id,
                cfg.order_ties,
            )
            for seq in sequences
        ]

    def _message_positions(self, sequence: LogSequence) -> list[int]:
        cfg = self.config
        return message_positions(sequence, self.preprocessor, self.vocab_size, cfg.events_kept, cfg.order_ties)

    def _inspect(
        self, sequences: Sequence[LogSequence], with_candidates: bool
    ) -> tuple[list[Window], Inspection, np.ndarray]:
        """The distinct windows among ``sequences``, their inspection and each sequence's row in both."""
        unique, inverse = distinct(self._encode(sequences))
        return unique, inspect(self.fitted(self.model), unique, self.config, with_candidates), inverse

    def _fit_centre(self, windows: list[Window], counts: np.ndarray) -> None:
        """Centre = count-weighted mean training-window vector; scale = mean training squared distance to it."""
        vectors = inspect(self.fitted(self.model), windows, self.config).vectors
        self.centre = np.average(vectors, axis=0, weights=counts)
        self.distance_scale = max(float(np.average(_squared_distance(vectors, self.centre), weights=counts)), 1e-12)

    def _components(self, inspection: Inspection) -> dict[str, np.ndarray]:
        """The score components (see ``score_components``) of each inspected window."""
        return {
            "top_g": inspection.miss,
            "surprisal": inspection.surprisal,
            "max_surprisal": inspection.max_surprisal,
            "distance": self._distances(inspection.vectors),
        }

    def _distances(self, vectors: np.ndarray) -> np.ndarray:
        return _squared_distance(vectors, self.centre) / self.distance_scale


def _squared_distance(vectors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    return ((vectors - centre) ** 2).sum(axis=1)
