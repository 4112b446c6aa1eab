"""Replay scored windows in time order through stateful threshold policies, as serving would see them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from logad.data.types import LogSequence
from logad.eval.metrics import classification_metrics
from logad.threshold import run_stream, threshold_from_state


def time_order(sequences: Sequence[LogSequence]) -> np.ndarray:
    """Indices of ``sequences`` by start time (then source position); by source position when times are missing."""
    if sequences and all(seq.start_time is not None for seq in sequences):
        return np.array(sorted(range(len(sequences)), key=lambda i: (sequences[i].start_time, sequences[i].order)))
    return np.array(sorted(range(len(sequences)), key=lambda i: sequences[i].order), dtype=int)


def stream_metrics(
    sequences: Sequence[LogSequence], scores: np.ndarray, labels: np.ndarray, states: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Metrics of each policy (rebuilt fresh from its stored state) over the windows streamed in time order; only
    labelled windows count, but every window passes through the policies (they learn from all of them)."""
    order = time_order(sequences)
    ordered_scores, ordered_labels = scores[order], labels[order]
    known = ordered_labels >= 0
    results = {}
    for kind, state in states.items():
        stream = run_stream(threshold_from_state(state), ordered_scores)
        metrics = classification_metrics(ordered_labels[known], stream.anomalous[known], ordered_scores[known])
        thresholds = stream.thresholds[np.isfinite(stream.thresholds)]
        metrics["threshold_range"] = [float(thresholds.min()), float(thresholds.max())] if len(thresholds) else None
        results[kind] = metrics
    return results
