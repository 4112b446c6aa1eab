"""Windows to model inputs: truncated template IDs and gap buckets, deduplication, padded batches."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import torch

from logad.data.types import LogSequence
from logad.parsing.preprocessor import UNKNOWN_ID, Preprocessor

PAD, CLS, MASK = 0, 1, 2
NUM_SPECIAL = 3
"""Token = template ID + NUM_SPECIAL; the special tokens sit below."""
GAP_BUCKETS = 32
GAP_RESOLUTION = 2.0
"""Gap bucket = floor(GAP_RESOLUTION * log1p(seconds)), capped at GAP_BUCKETS - 1 (about 100 days)."""

Window = tuple[tuple[int, ...], tuple[int, ...]]
"""(template IDs, gap buckets) of the kept events: hashable, so identical windows are scored once."""


@dataclass
class Batch:
    """Padded tensors of windows: ``tokens`` / ``gaps`` are (B, 1 + longest) with [CLS] first, then PAD."""

    tokens: torch.Tensor
    gaps: torch.Tensor
    lengths: torch.Tensor
    """Number of events per window (excluding [CLS])."""

    @property
    def events(self) -> torch.Tensor:
        """(B, L) bool: positions holding an event (never [CLS] or PAD)."""
        positions = torch.arange(self.tokens.shape[1])
        return (positions >= 1) & (positions <= self.lengths[:, None])


def encode(
    sequence: LogSequence,
    preprocessor: Preprocessor,
    vocab_size: int,
    max_len: int,
    use_gaps: bool,
    end_id: int | None = None,
    order_ties: bool = False,
) -> Window:
    """The window's last ``max_len`` template IDs (IDs unknown to the model become UNKNOWN_ID) and gap buckets,
    in ``event_order``, followed by ``end_id`` (gap bucket 0) when given: the key that says the window ended there."""
    _, ids, times = _kept_events(sequence, preprocessor, vocab_size, max_len)
    order = event_order(ids, times if order_ties else None)
    ids_in_order = tuple(ids[i] for i in order)
    end, end_gaps = ((), ()) if end_id is None else ((end_id,), (0,))
    if not use_gaps or times is None:
        return ids_in_order + end, (0,) * len(ids) + end_gaps
    ordered_times = [times[i] for i in order]
    gaps = (gap_bucket(later - earlier) for earlier, later in pairwise(ordered_times))
    return ids_in_order + end, (0, *gaps, *end_gaps)


def event_order(ids: Sequence[int], times: Sequence[float] | None) -> list[int]:
    """Positions of the events in the order the model reads them: as logged, except that with ``times`` each run
    of consecutive events logged at the same timestamp is sorted by template ID.

    Logs stamped to the second (HDFS) interleave lines of several processes within a second in an arbitrary
    order; sorting ties makes the same work read as the same sequence however its lines raced."""
    if times is None:
        return list(range(len(ids)))
    runs = np.cumsum([0, *(later != earlier for earlier, later in pairwise(times))])
    return sorted(range(len(ids)), key=lambda i: (runs[i], ids[i]))


def message_positions(
    sequence: LogSequence, preprocessor: Preprocessor, vocab_size: int, max_len: int, order_ties: bool
) -> list[int]:
    """For each event the model reads, its index in ``sequence.messages`` (in ``encode``'s order; the templates are
    looked up only when ties are ordered)."""
    if not order_ties or sequence.timestamps is None:
        return list(range(truncation_offset(sequence, max_len), len(sequence.messages)))
    start, ids, times = _kept_events(sequence, preprocessor, vocab_size, max_len)
    return [start + i for i in event_order(ids, times)]


def _kept_events(
    sequence: LogSequence, preprocessor: Preprocessor, vocab_size: int, max_len: int
) -> tuple[int, list[int], list[float] | None]:
    """Index of the first event the model reads, the template IDs from there (unknown to the model: UNKNOWN_ID)
    and their timestamps (None when unknown)."""
    start = truncation_offset(sequence, max_len)
    ids = [i if i < vocab_size else UNKNOWN_ID for i in preprocessor.template_ids(sequence.messages[start:])]
    return start, ids, None if sequence.timestamps is None else sequence.timestamps[start:]


def gap_bucket(seconds: float) -> int:
    """Bucket of a gap between consecutive events; negative gaps (clock skew) count as 0."""
    return min(GAP_BUCKETS - 1, math.floor(GAP_RESOLUTION * math.log1p(max(0.0, seconds))))


def truncation_offset(sequence: LogSequence, max_len: int) -> int:
    """Index in ``sequence.messages`` of the first event the model sees."""
    return max(0, len(sequence.messages) - max_len)


def distinct(windows: Sequence[Window]) -> tuple[list[Window], np.ndarray]:
    """Distinct windows in first-seen order and, per input window, the index of its distinct window."""
    index: dict[Window, int] = {}
    inverse = np.fromiter((index.setdefault(w, len(index)) for w in windows), dtype=np.int64, count=len(windows))
    return list(index), inverse


def collate(windows: Sequence[Window]) -> Batch:
    """Pad windows to the longest one, with [CLS] at position 0."""
    width = 1 + max((len(ids) for ids, _ in windows), default=0)
    tokens = torch.full((len(windows), width), PAD, dtype=torch.long)
    gaps = torch.zeros((len(windows), width), dtype=torch.long)
    tokens[:, 0] = CLS
    for row, (ids, buckets) in enumerate(windows):
        tokens[row, 1 : 1 + len(ids)] = torch.tensor(ids, dtype=torch.long) + NUM_SPECIAL
        gaps[row, 1 : 1 + len(buckets)] = torch.tensor(buckets, dtype=torch.long)
    lengths = torch.tensor([len(ids) for ids, _ in windows], dtype=torch.long)
    return Batch(tokens, gaps, lengths)


def batches(windows: Sequence[Window], batch_size: int, order: Sequence[int] | None = None) -> Iterator[Batch]:
    """Collated batches of ``windows`` taken in ``order`` (default: as given)."""
    order = range(len(windows)) if order is None else order
    for start in range(0, len(order), batch_size):
        yield collate([windows[i] for i in order[start : start + batch_size]])
