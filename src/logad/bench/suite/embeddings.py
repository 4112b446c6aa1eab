"""LogSentry sequence embeddings before and after contrastive pre-training, for the report's t-SNE plot."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from logad.bench.suite.arrays import EMBEDDINGS_AFTER, EMBEDDINGS_BEFORE, EMBEDDINGS_LABELS
from logad.data.types import LogSequence
from logad.detectors.logsentry import LogSentryDetector
from logad.detectors.logsentry.encoder import SequenceEncoder
from logad.eval.scoring import labels_of

MAX_WINDOWS = 1000


def embedding_arrays(detector: LogSentryDetector, windows: Sequence[LogSequence], seed: int) -> dict[str, np.ndarray]:
    """Embeddings of up to ``MAX_WINDOWS`` of ``windows`` (every anomalous one, then a seeded sample of the rest)
    from the configured encoder as loaded (before) and the fitted detector's retrieval encoder (after
    pre-training), with the windows' labels."""
    chosen = _sample(windows, seed)
    raw = LogSentryDetector(detector.config, detector.preprocessor)
    raw.retrieval_encoder = SequenceEncoder.from_pretrained(detector.config.encoder, detector.config.max_tokens).eval()
    return {
        EMBEDDINGS_BEFORE: raw.embeddings_of(chosen),
        EMBEDDINGS_AFTER: detector.embeddings_of(chosen),
        EMBEDDINGS_LABELS: labels_of(chosen),
    }


def _sample(windows: Sequence[LogSequence], seed: int) -> list[LogSequence]:
    anomalous = [i for i, seq in enumerate(windows) if seq.label == 1]
    others = [i for i, seq in enumerate(windows) if seq.label != 1]
    room = max(0, MAX_WINDOWS - len(anomalous))
    if len(others) > room:
        others = np.random.default_rng(seed).choice(others, size=room, replace=False).tolist()
    return [windows[i] for i in sorted(anomalous[:MAX_WINDOWS] + others)]
