"""A window as the text LogSentry's encoder reads: its masked messages joined in order."""

from __future__ import annotations

from collections.abc import Sequence

from logad.data.types import LogSequence
from logad.parsing.preprocessor import Preprocessor

SEPARATOR = " ; "


def window_text(sequence: LogSequence, preprocessor: Preprocessor, placeholder_text: str) -> str:
    """Masked messages of ``sequence`` joined by ``SEPARATOR``; masks become ``placeholder_text`` (fewer tokens)."""
    placeholder = preprocessor.config.masking.placeholder
    masked = (preprocessor.mask(message).replace(placeholder, placeholder_text) for message in sequence.messages)
    return SEPARATOR.join(masked)


def window_texts(sequences: Sequence[LogSequence], preprocessor: Preprocessor, placeholder_text: str) -> list[str]:
    """``window_text`` of each window."""
    return [window_text(seq, preprocessor, placeholder_text) for seq in sequences]
