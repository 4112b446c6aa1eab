"""DeepLogDetector: fit an LSTM on the next keys of normal windows; score = share of events it fails to expect."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from logad.config import config_to_dict
from logad.data.types import LogSequence
from logad.detectors.base import Detector, FitContext
from logad.detectors.deeplog import CAPABILITIES
from logad.detectors.deeplog.config import PRESETS, DeepLogConfig
from logad.detectors.deeplog.inference import miss_fraction, missed_events, predict
from logad.detectors.deeplog.keys import Keys, Pairs, count_pairs, key_sequence
from logad.detectors.deeplog.model import DeepLogModel
from logad.detectors.deeplog.training import train_model
from logad.detectors.registry import register_detector
from logad.errors import BadInputError
from logad.jsonio import read_json_object, write_json_atomic
from logad.parsing.preprocessor import Preprocessor
from logad.train.checkpoints import fingerprint, run_checkpoints
from logad.train.history import EpochStats, from_records, to_records

WEIGHTS_FILE = "deeplog.pt"
STATE_FILE = "deeplog.json"
EXPLAIN_LIMIT = 10
"""Missed events listed per window by ``explain``, in event order."""
CACHE_SIZE = 1 << 16
"""Distinct key sequences whose score is kept (the cache starts over when full)."""


@register_detector
class DeepLogDetector(Detector):
    """Unsupervised DeepLog log-key model: trained on normal windows only.

    Score of a window: the fraction of its scored events that miss, i.e. whose key is not among the ``top_g``
    keys predicted from the previous ``history_size`` keys. Every event from the second on is scored (short
    histories are padded); an unknown key (template ID 0) always misses, the first event included. Windows with
    nothing to score (one known event, or none) score 0. Scores lie in [0, 1] and compare across window lengths.
    """

    name = "deeplog"
    config_class = DeepLogConfig
    supervised = False
    scores_are_probabilities = False
    presets: ClassVar[dict[str, dict[str, Any]]] = PRESETS
    capabilities = CAPABILITIES

    def __init__(self, config: DeepLogConfig, preprocessor: Preprocessor) -> None:
        super().__init__(config, preprocessor)
        self.vocab_size = 0
        self.model: DeepLogModel | None = None
        self.history: list[EpochStats] = []
        self._scores: dict[Keys, float] = {}

    @property
    def pad(self) -> int:
        """The boundary key: it fills histories before a window's first event and, with ``end_key``, follows a closed
        window's last one."""
        return self.vocab_size

    def fit(self, train: Sequence[LogSequence], validation: Sequence[LogSequence], context: FitContext) -> None:
        cfg = self.config
        self.vocab_size = self.preprocessor.vocab_size
        pairs = self._pairs(train)
        if not len(pairs):
            raise BadInputError("deeplog needs at least one training window of two or more events")
        held_out = self._pairs([seq for seq in validation if seq.label != 1])
        torch.manual_seed(cfg.seed)
        self.model = DeepLogModel(cfg, self.vocab_size)
        run = fingerprint(config_to_dict(cfg), self.vocab_size, pairs.tolist(), held_out.tolist())
        checkpoints = run_checkpoints(context.work_dir, run)
        self.history = train_model(self.model, pairs, held_out, cfg, context.show_progress, checkpoints)
        self._scores.clear()

    def score(self, sequences: Sequence[LogSequence]) -> np.ndarray:
        windows = [self._keys(seq) for seq in sequences]
        known = {keys: self._scores[keys] for keys in dict.fromkeys(windows) if keys in self._scores}
        missing = [keys for keys in dict.fromkeys(windows) if keys not in known]
        predictions = predict(self.fitted(self.model), missing, self.config, self.pad)
        fresh = {keys: miss_fraction(keys, missed_events(keys, predictions.top(i))) for i, keys in enumerate(missing)}
        if len(self._scores) + len(fresh) > CACHE_SIZE:
            self._scores.clear()
        self._scores.update(fresh)
        known.update(fresh)
        return np.array([known[keys] for keys in windows], dtype=np.float64)

    def explain(self, sequences: Sequence[LogSequence]) -> list[dict[str, Any]]:
        """Per window: its score and the first ``EXPLAIN_LIMIT`` missed events (message index, true template ID,
        the top-g predicted template IDs, most likely first; none for a first event). A missed end (``end_key``) has
        template None and the index one past the last message; the boundary key among predictions means "the end"."""
        windows = [self._keys(seq) for seq in sequences]
        predictions = predict(self.fitted(self.model), windows, self.config, self.pad)
        explanations = []
        for i, keys in enumerate(windows):
            top = predictions.top(i)
            missed = missed_events(keys, top)
            events = [
                {
                    "index": int(p),
                    "template_id": keys[p] if keys[p] != self.pad else None,
                    "predicted": top[p - 1].tolist() if p else [],
                }
                for p in np.flatnonzero(missed)[:EXPLAIN_LIMIT]
            ]
            explanations.append({"miss": miss_fraction(keys, missed), "missed": events})
        return explanations

    def save(self, directory: Path) -> None:
        torch.save(self.fitted(self.model).state_dict(), directory / WEIGHTS_FILE)
        state = {"vocab_size": self.vocab_size, "history": to_records(self.history)}
        write_json_atomic(directory / STATE_FILE, state)

    @classmethod
    def load(cls, directory: Path, config: DeepLogConfig, preprocessor: Preprocessor) -> DeepLogDetector:
        state = read_json_object(directory / STATE_FILE, "deeplog state")
        weights = directory / WEIGHTS_FILE
        if not weights.is_file():
            raise BadInputError(f"deeplog weights file {weights} is missing")
        detector = cls(config, preprocessor)
        detector.vocab_size = int(state["vocab_size"])
        detector.history = from_records(state.get("history", []))
        detector.model = DeepLogModel(config, detector.vocab_size)
        try:
            detector.model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        except RuntimeError as exc:
            raise BadInputError(f"{weights} does not match the deeplog config: {exc}") from None
        return detector

    def _keys(self, sequence: LogSequence) -> Keys:
        return key_sequence(sequence, self.preprocessor, self.vocab_size, self.config.end_key)

    def _pairs(self, sequences: Sequence[LogSequence]) -> Pairs:
        cfg = self.config
        windows = [self._keys(seq) for seq in sequences]
        return count_pairs(windows, cfg.history_size, self.pad, cfg.train_on_distinct)
