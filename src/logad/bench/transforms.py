"""Benchmark data transformations: unstable logs, windows with unseen templates, partial windows.

Pure functions on lists of windows: inputs are never changed, every returned window is a new LogSequence (its own
lists), and randomness comes only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from logad.config import require_range
from logad.data.types import LogSequence
from logad.data.windows import window_prefix
from logad.parsing.preprocessor import UNKNOWN_ID, Preprocessor

VOCABULARY = ("error", "retry", "node", "request", "value", "status", "failed", "ok")
"""Words that message mutations insert or substitute, besides the message's own words."""
MESSAGE_MUTATIONS = ("insert", "remove", "replace")
SEQUENCE_MUTATIONS = ("duplicate", "remove", "swap")
_WHITESPACE = re.compile(r"(\s+)")


@dataclass
class UnstableReport:
    """What ``unstable`` changed: input ``events`` and ``windows``, then events per message mutation and windows
    per sequence mutation."""

    events: int
    windows: int
    messages: dict[str, int]
    sequences: dict[str, int]

    @property
    def mutated_events(self) -> int:
        return sum(self.messages.values())

    @property
    def mutated_windows(self) -> int:
        return sum(self.sequences.values())


def unstable(sequences: Sequence[LogSequence], rate: float, rng: np.random.Generator) -> list[LogSequence]:
    """``sequences`` as unstable logs (LogRobust, Zhang et al., FSE 2019); see ``unstable_with_report``."""
    return unstable_with_report(sequences, rate, rng)[0]


def unstable_with_report(
    sequences: Sequence[LogSequence], rate: float, rng: np.random.Generator
) -> tuple[list[LogSequence], UnstableReport]:
    """Message mutations on a ``rate`` share of the events (``mutate_messages``), then sequence mutations on a
    ``rate`` share of the windows (``mutate_sequences``; these may duplicate or drop a mutated event)."""
    mutated, messages = mutate_messages(sequences, rate, rng)
    mutated, windows = mutate_sequences(mutated, rate, rng)
    report = UnstableReport(sum(len(seq) for seq in sequences), len(sequences), messages, windows)
    return mutated, report


def mutate_messages(
    sequences: Sequence[LogSequence], rate: float, rng: np.random.Generator
) -> tuple[list[LogSequence], dict[str, int]]:
    """Each event is picked with probability ``rate`` and one word of its message inserted, removed or replaced
    (``mutate_message``), which mostly makes a template unseen in training; messages of nothing but whitespace
    stay as they are. Returns the windows and the number of events per mutation kind."""
    require_range("rate", rate)
    counts = dict.fromkeys(MESSAGE_MUTATIONS, 0)
    picked = iter((rng.random(sum(len(seq) for seq in sequences)) < rate).tolist())
    result = []
    for seq in sequences:
        messages = []
        for message in seq.messages:
            if next(picked) and message.strip():
                kind, message = mutate_message(message, rng)
                counts[kind] += 1
            messages.append(message)
        result.append(_copy(seq, messages=messages))
    return result, counts


def mutate_message(message: str, rng: np.random.Generator) -> tuple[str, str]:
    """(kind, new message): one whitespace-separated word inserted, removed (only when there are two or more) or
    replaced by a different word, drawn from ``VOCABULARY`` and the message's words; the other words and the
    whitespace between them are kept. The result always differs from ``message``, which must hold a word."""
    parts = _WHITESPACE.split(message)  # words at even indices (empty at the ends when the message has margins)
    words = [i for i in range(0, len(parts), 2) if parts[i]]
    possible = {"insert": True, "remove": len(words) > 1, "replace": True}
    kinds = [kind for kind, ok in possible.items() if ok]
    kind = kinds[rng.integers(len(kinds))]
    if kind == "insert":
        slot = int(rng.integers(len(words) + 1))
        word = _draw_word(parts, words, rng)
        if slot < len(words):
            parts[words[slot] : words[slot]] = [word, " "]
        else:
            parts[words[-1] + 1 : words[-1] + 1] = [" ", word]
    else:
        position = words[rng.integers(len(words))]
        if kind == "replace":
            parts[position] = _draw_word(parts, words, rng, avoid=parts[position])
        elif position + 1 < len(parts):
            del parts[position : position + 2]  # the word and the whitespace after it
        else:
            del parts[position - 1 : position + 1]  # the last word and the whitespace before it
    return kind, "".join(parts)


def _draw_word(parts: list[str], words: list[int], rng: np.random.Generator, avoid: str | None = None) -> str:
    pool = [word for word in (*VOCABULARY, *(parts[i] for i in words)) if word != avoid]
    return pool[rng.integers(len(pool))]


def mutate_sequences(
    sequences: Sequence[LogSequence], rate: float, rng: np.random.Generator
) -> tuple[list[LogSequence], dict[str, int]]:
    """Each non-empty window is picked with probability ``rate`` and mutated once (``mutate_window``). Returns the
    windows and the number of windows per mutation kind."""
    require_range("rate", rate)
    counts = dict.fromkeys(SEQUENCE_MUTATIONS, 0)
    result = []
    for seq, pick in zip(sequences, (rng.random(len(sequences)) < rate).tolist(), strict=True):
        if pick and seq.messages:
            kind, seq = mutate_window(seq, rng)
            counts[kind] += 1
        else:
            seq = _copy(seq)
        result.append(seq)
    return result, counts


def mutate_window(sequence: LogSequence, rng: np.random.Generator) -> tuple[str, LogSequence]:
    """(kind, new window): one event duplicated in place or removed (its timestamp with it), or two adjacent
    different events swapped. A swap keeps the timestamp column as it was: the same moments, the events logged in
    the other order. Remove needs two events and swap two adjacent different ones; duplicate is always possible."""
    messages = list(sequence.messages)
    timestamps = None if sequence.timestamps is None else list(sequence.timestamps)
    swappable = [i for i in range(len(messages) - 1) if messages[i] != messages[i + 1]]
    possible = {"duplicate": True, "remove": len(messages) > 1, "swap": bool(swappable)}
    kinds = [kind for kind, ok in possible.items() if ok]
    kind = kinds[rng.integers(len(kinds))]
    if kind == "swap":
        i = swappable[rng.integers(len(swappable))]
        messages[i], messages[i + 1] = messages[i + 1], messages[i]
    else:
        i = int(rng.integers(len(messages)))
        for column in (messages, timestamps):
            if column is None:
                continue
            if kind == "duplicate":
                column.insert(i, column[i])
            else:
                del column[i]
    return kind, _copy(sequence, messages=messages, timestamps=timestamps)


def unseen_template_windows(
    train: Sequence[LogSequence], test: Sequence[LogSequence], preprocessor: Preprocessor
) -> list[LogSequence]:
    """The ``test`` windows holding a message whose template ID (from the fitted ``preprocessor``) no training
    window has; a message the preprocessor does not know (``UNKNOWN_ID``) always counts as unseen."""
    seen = {i for seq in train for i in preprocessor.template_ids(seq.messages)} - {UNKNOWN_ID}
    return [_copy(seq) for seq in test if not seen.issuperset(preprocessor.template_ids(seq.messages))]


def partial(sequences: Sequence[LogSequence], first_n: int) -> list[LogSequence]:
    """Each window cut to its first ``first_n`` events (``window_prefix``): the cut of an anomalous session counts
    as anomalous even when the anomalous events come later, which is what early detection is measured against."""
    return [window_prefix(seq, first_n) for seq in sequences]


def _copy(sequence: LogSequence, **changes: object) -> LogSequence:
    """A new window with its own lists: ``sequence`` with ``changes``."""
    copied = dataclasses.replace(sequence, **changes)
    copied.messages = list(copied.messages)
    copied.timestamps = None if copied.timestamps is None else list(copied.timestamps)
    return copied
