"""Toy logs for sequence detectors' tests: normal windows walk templates 0..7 in a cycle; template 8 ("panic")
never occurs in training. Imported by name (pytest puts this folder on sys.path)."""

from __future__ import annotations

import pytest
import torch

from logad.data.types import LogSequence

WORDS = ["receiving", "received", "opening", "writing", "verifying", "closing", "deleting", "served", "panic"]
CYCLE = 8


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from threads, and on shared CPUs OpenMP spinning slows them a lot."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def cycle_message(template: int, n: int) -> str:
    """Template ``template`` of window ``n``; distinct token counts keep Drain from merging the templates."""
    return " ".join([WORDS[template], *["block"] * template, f"blk_{n}"])


def cycle_window(n: int, templates: list[int], label: int = 0, gap: float | None = None) -> LogSequence:
    """Window ``n`` of ``templates``; with ``gap``, events are ``gap`` seconds apart."""
    timestamps = None if gap is None else [gap * k for k in range(len(templates))]
    return LogSequence(f"w{n}", [cycle_message(t, n) for t in templates], timestamps, label, n)
