"""Benchmark transformations: unstable logs, unseen-template windows, partial windows."""

from __future__ import annotations

import copy
from collections import Counter

import numpy as np
import pytest

from logad.bench.transforms import (
    MESSAGE_MUTATIONS,
    SEQUENCE_MUTATIONS,
    mutate_message,
    mutate_messages,
    mutate_sequences,
    partial,
    unseen_template_windows,
    unstable,
    unstable_with_report,
)
from logad.data.types import LogSequence
from logad.parsing.preprocessor import Preprocessor

TEMPLATES = [
    "Receiving block blk_{n} src: /10.0.0.{k}:50010 dest: /10.0.0.{k}:50010",
    "PacketResponder {k} for block blk_{n} terminating",
    "Received block blk_{n} of size {k}67108864 from /10.0.0.{k}",
    "BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.0.0.{k}:50010 is added to blk_{n} size 67108864",
    "Verification succeeded for blk_{n}",
]
NEW_TEMPLATE = "Exception in receiveBlock for block blk_{n} java.io.IOException: Connection reset by peer"


def _window(n: int, templates: list[str], label: int = 0) -> LogSequence:
    messages = [t.format(n=n, k=k) for k, t in enumerate(templates)]
    return LogSequence(f"blk_{n}", messages, [100.0 * n + k for k in range(len(templates))], label, n)


def _windows(count: int = 500, length: int = 10) -> list[LogSequence]:
    rng = np.random.default_rng(7)
    return [
        _window(n, [TEMPLATES[i] for i in rng.integers(0, len(TEMPLATES), size=length)], label=n % 5 == 0)
        for n in range(count)
    ]


def _events(window: LogSequence) -> Counter[tuple[str, float]]:
    """The window's (message, timestamp) events as a multiset."""
    return Counter(zip(window.messages, window.timestamps, strict=True))


def test_message_mutations_change_the_stated_share_of_events():
    windows = _windows()
    before = copy.deepcopy(windows)
    mutated, counts = mutate_messages(windows, 0.1, np.random.default_rng(0))
    assert windows == before  # inputs untouched
    assert all(a is not b and a.messages is not b.messages for a, b in zip(mutated, windows, strict=True))
    assert [len(w) for w in mutated] == [len(w) for w in windows]
    originals = [message for window in windows for message in window.messages]
    changed = sum(m != o for m, o in zip((m for w in mutated for m in w.messages), originals, strict=True))
    assert changed == sum(counts.values())  # every mutated message differs from its original
    assert 0.08 <= changed / 5000 <= 0.12
    assert set(counts) == set(MESSAGE_MUTATIONS) and min(counts.values()) > 0
    for new, old in zip(mutated, windows, strict=True):
        assert (new.id, new.label, new.timestamps, new.order) == (old.id, old.label, old.timestamps, old.order)
        for m, o in zip(new.messages, old.messages, strict=True):
            assert abs(len(m.split()) - len(o.split())) <= 1


@pytest.mark.parametrize("message", ["single", "two words", "  margins  and  gaps  ", "a\tb\nc"])
def test_each_message_mutation_changes_one_word_and_keeps_the_rest(message):
    rng = np.random.default_rng(1)
    words = message.split()
    for _ in range(50):
        kind, mutated = mutate_message(message, rng)
        assert mutated != message and mutated.split()
        new = mutated.split()
        if kind == "insert":
            assert len(new) == len(words) + 1 and any(new[:i] + new[i + 1 :] == words for i in range(len(new)))
        elif kind == "remove":
            assert len(words) > 1 and any(words[:i] + words[i + 1 :] == new for i in range(len(words)))
        else:
            assert len(new) == len(words) and sum(a != b for a, b in zip(new, words, strict=True)) == 1


def test_whitespace_only_messages_are_never_mutated():
    windows = [LogSequence("w", ["", "   ", "\t"])]
    mutated, counts = mutate_messages(windows, 1.0, np.random.default_rng(0))
    assert mutated[0].messages == windows[0].messages and sum(counts.values()) == 0


def test_sequence_mutations_change_length_or_order_as_stated():
    windows = _windows()
    before = copy.deepcopy(windows)
    mutated, counts = mutate_sequences(windows, 0.2, np.random.default_rng(3))
    assert windows == before
    seen = Counter()
    for new, old in zip(mutated, windows, strict=True):
        assert (new.id, new.label, new.order) == (old.id, old.label, old.order)
        assert len(new.timestamps) == len(new.messages)
        new_events, old_events = _events(new), _events(old)
        if len(new) == len(old) + 1:
            seen["duplicate"] += 1
            assert sum((new_events - old_events).values()) == 1 and not old_events - new_events
        elif len(new) == len(old) - 1:
            seen["remove"] += 1
            assert sum((old_events - new_events).values()) == 1 and not new_events - old_events
        elif new.messages != old.messages:
            seen["swap"] += 1
            assert new.timestamps == old.timestamps and Counter(new.messages) == Counter(old.messages)
            diffs = [i for i, (a, b) in enumerate(zip(new.messages, old.messages, strict=True)) if a != b]
            assert len(diffs) == 2 and diffs[1] == diffs[0] + 1
        else:
            assert new == old
    assert seen == counts and set(counts) == set(SEQUENCE_MUTATIONS)
    assert 0.14 <= sum(counts.values()) / len(windows) <= 0.26 and min(counts.values()) > 0


def test_sequence_mutations_fall_back_to_what_a_window_allows():
    windows = [LogSequence("one", ["a"]), LogSequence("same", ["b", "b"], None), LogSequence("empty", [])]
    mutated, counts = mutate_sequences(windows, 1.0, np.random.default_rng(0))
    assert mutated[0].messages == ["a", "a"]  # one event: only duplicate
    assert mutated[1].messages in (["b"], ["b", "b", "b"]) and mutated[1].timestamps is None  # nothing to swap
    assert mutated[2].messages == [] and sum(counts.values()) == 2


def test_unstable_is_deterministic_for_a_seed_and_reports_its_changes():
    windows = _windows(200)
    before = copy.deepcopy(windows)
    first, report = unstable_with_report(windows, 0.1, np.random.default_rng(5))
    assert unstable(windows, 0.1, np.random.default_rng(5)) == first
    assert unstable(windows, 0.1, np.random.default_rng(6)) != first
    assert windows == before
    assert (report.events, report.windows) == (2000, 200)
    assert report.mutated_events == sum(report.messages.values()) > 0
    assert report.mutated_windows == sum(report.sequences.values()) > 0
    assert [(w.id, w.label) for w in first] == [(w.id, w.label) for w in windows]
    assert unstable(windows, 0.0, np.random.default_rng(5)) == windows
    with pytest.raises(ValueError, match="rate"):
        unstable(windows, 1.5, np.random.default_rng(0))


def test_unseen_template_windows_hold_a_template_absent_from_training():
    train = _windows(50)
    test = [_window(1000 + n, TEMPLATES[: 1 + n % 5]) for n in range(20)]
    for n in (3, 8, 15):
        test[n].messages.insert(n % 3, NEW_TEMPLATE.format(n=n))
    for fit_on in (train, train + test):  # a preprocessor that knows the new template still finds it unseen
        preprocessor = Preprocessor()
        preprocessor.fit(m for seq in fit_on for m in seq.messages)
        found = unseen_template_windows(train, test, preprocessor)
        assert [w.id for w in found] == [test[n].id for n in (3, 8, 15)]
        seen = {i for seq in train for i in preprocessor.template_ids(seq.messages)}
        for window in found:
            assert set(preprocessor.template_ids(window.messages)) - seen
        assert found[0] == test[3] and found[0] is not test[3]


def test_partial_windows_keep_the_first_events_and_the_label():
    windows = _windows(30, length=10)
    windows[0] = LogSequence("short", ["x", "y"], None, 1)
    before = copy.deepcopy(windows)
    cut = partial(windows, 4)
    assert windows == before
    for new, old in zip(cut, windows, strict=True):
        assert len(new) == min(4, len(old)) and new.messages == old.messages[:4]
        assert new.id == f"{old.id}@4" and new.label == old.label and new.order == old.order
        assert new.timestamps == (None if old.timestamps is None else old.timestamps[:4])
    with pytest.raises(ValueError, match="first_n"):
        partial(windows, 0)
