"""Reworded messages as an upgrade rewords them: consistent word renames covering about the share asked for."""

from __future__ import annotations

import numpy as np
import pytest

from logad.data.rewording import NEUTRAL_WORDS, reword, reword_message, upgrade_rewording
from logad.data.types import LogSequence

MESSAGES = [
    "Receiving block blk_1 src: /10.0.0.1:5 dest: /10.0.0.2:50010",
    "PacketResponder 1 for block blk_1 terminating",
    "Verification succeeded for blk_1",
    "Deleting block blk_2 file /mnt/data/blk_2",
    "BLOCK* NameSystem.allocateBlock: /user/root/part-1 blk_3",
] * 20


@pytest.mark.parametrize("share", [0.2, 0.4, 0.6])
def test_the_renaming_changes_about_the_share_asked_for(share):
    mapping = upgrade_rewording(MESSAGES, share, np.random.default_rng(0))
    changed = np.mean([reword_message(m, mapping) != m for m in MESSAGES])
    assert share <= changed <= share + 0.25  # one message type is a fifth of these messages
    assert set(mapping.values()) <= set(NEUTRAL_WORDS) and len(set(mapping.values())) == len(mapping)


def test_rewording_is_consistent_and_keeps_ids_labels_and_times():
    mapping = {"block": "segment", "Deleting": "Removing"}
    window = LogSequence("blk_2", [MESSAGES[3], MESSAGES[1]], [1.0, 2.0], label=1, order=7)
    (reworded,) = reword([window], mapping)
    assert reworded.messages == [
        "Removing segment blk_2 file /mnt/data/blk_2",
        "PacketResponder 1 for segment blk_1 terminating",
    ]
    assert (reworded.id, reworded.timestamps, reworded.label, reworded.order) == ("blk_2", [1.0, 2.0], 1, 7)
    assert window.messages[0] == MESSAGES[3], "the input window is not changed"
    assert reword_message("blockade of blocks", mapping) == "blockade of blocks", "whole words only"


def test_the_same_seed_gives_the_same_renaming():
    first, second = (upgrade_rewording(MESSAGES, 0.3, np.random.default_rng(5)) for _ in "ab")
    assert first == second and first
