"""A window as the text LogSentry's encoder reads: its masked messages, in one of three forms.

- ``sequence`` (the paper's): every masked message joined in order.
- ``runs``: consecutive repeats of a message collapsed to one with an ``xN`` count; lossless, shorter.
- ``counts``: each distinct message once, in order of first appearance, with an ``xN`` count; drops order
  between messages but makes windows far shorter and more repetitive (HDFS_2pct: median 258 -> 108 tokens,
  1,421 -> 335 distinct training texts), so fewer windows lose their tail to ``max_tokens`` truncation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import groupby

from logad.data.types import LogSequence
from logad.parsing.preprocessor import Preprocessor

SEPARATOR = " ; "
TEXT_FORMS = ("sequence", "runs", "counts")


def _counted(message: str, count: int) -> str:
    return message if count == 1 else f"{message} x{count}"


def join_messages(masked: Sequence[str], form: str) -> str:
    """``masked`` messages as one text in ``form`` (one of ``TEXT_FORMS``)."""
    if form == "sequence":
        return SEPARATOR.join(masked)
    if form == "runs":
        return SEPARATOR.join(_counted(message, len(list(run))) for message, run in groupby(masked))
    if form == "counts":
        counts = Counter(masked)
        return SEPARATOR.join(_counted(message, counts[message]) for message in counts)
    raise ValueError(f"unknown text form {form!r}; expected one of {', '.join(TEXT_FORMS)}")


def window_texts(
    sequences: Sequence[LogSequence], preprocessor: Preprocessor, placeholder_text: str, form: str
) -> list[str]:
    """Each window's masked messages (masks shown as ``placeholder_text``, fewer tokens) joined in ``form``."""
    placeholder = preprocessor.config.masking.placeholder
    return [
        join_messages([preprocessor.mask(m).replace(placeholder, placeholder_text) for m in seq.messages], form)
        for seq in sequences
    ]
