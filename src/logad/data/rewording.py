"""Reworded messages, as a software upgrade rewords them: some words renamed in every message that holds them.

Unlike the random per-message mutations of unstable logs, an upgrade is consistent: once ``block`` becomes
``segment`` it does so in every later message. Used to simulate that drift on validation windows (training
chooses the served threshold kind under it) and in the drift benchmark.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np

from logad.config import require_range
from logad.data.types import LogSequence

NEUTRAL_WORDS = (
    "segment", "chunk", "entry", "record", "unit", "item", "handler", "worker", "service", "peer", "target",
    "origin", "stream", "channel", "session", "task", "slot", "region", "volume", "object",
)  # fmt: skip
"""Words that renamed words become: plain nouns that carry no hint of failure."""
_WORD = re.compile(r"\b[A-Za-z][a-z]{2,}\b")


def upgrade_rewording(
    messages: Sequence[str], share: float, rng: np.random.Generator, tolerance: float = 0.1
) -> dict[str, str]:
    """A renaming of words (``old -> new``, new ones from ``NEUTRAL_WORDS`` not already used in ``messages``) that
    changes about ``share`` of ``messages``: words are taken in random order, each only if the messages holding a
    taken word stay within ``share + tolerance``, until they reach ``share`` (or words or replacements run out).
    A word that occurs in most messages (``block`` in HDFS) is thus renamed only when the share asks for it."""
    require_range("share", share)
    held = [set(_WORD.findall(message)) for message in messages]
    vocabulary = sorted(set().union(*held)) if held else []
    replacements = [word for word in NEUTRAL_WORDS if word not in vocabulary]
    mapping: dict[str, str] = {}
    changed = np.zeros(len(messages), dtype=bool)
    for index in rng.permutation(len(vocabulary)):
        if changed.mean() >= share or len(mapping) == len(replacements):
            break
        word = vocabulary[index]
        with_word = changed | np.array([word in words for words in held])
        if with_word.mean() <= share + tolerance:
            mapping[word], changed = replacements[len(mapping)], with_word
    return mapping


def reword_message(message: str, mapping: dict[str, str]) -> str:
    """``message`` with every whole word in ``mapping`` renamed."""
    return _WORD.sub(lambda match: mapping.get(match.group(0), match.group(0)), message)


def reword(sequences: Sequence[LogSequence], mapping: dict[str, str]) -> list[LogSequence]:
    """New windows whose messages are reworded by ``mapping`` (ids, labels and timestamps kept)."""
    return [dataclasses.replace(seq, messages=[reword_message(m, mapping) for m in seq.messages]) for seq in sequences]
