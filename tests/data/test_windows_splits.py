"""Windowing, splits and oversampling: every window kind, labels, truncation, split properties."""

from __future__ import annotations

import math

import pytest

from logad.data.dataset import DataSpec, load_windows
from logad.data.splits import SplitSpec, oversample_minority, split_sequences
from logad.data.types import LogRecord, LogSequence
from logad.data.windows import WindowSpec, make_windows
from logad.errors import BadInputError, ConfigError


def _records(n: int, labels: dict[int, int] | None = None, step: float = 1.0) -> list[LogRecord]:
    labels = labels or {}
    return [LogRecord(i + 1, f"event {i}", i * step, labels.get(i + 1)) for i in range(n)]


@pytest.mark.parametrize("text", [r"session:blk_-?\d+", "fixed:5", "sliding:10:2", "time:60:30"])
def test_spec_round_trip(text):
    assert str(WindowSpec.parse(text)) == text


@pytest.mark.parametrize("text", ["fixed:0", "fixed:x", "sliding:5", "time:-1:2", "session:(", "hourly:1", "session:"])
def test_bad_specs_name_the_grammar(text):
    with pytest.raises(ConfigError, match="window spec"):
        WindowSpec.parse(text)


def test_session_windows_multi_id_lines_and_labels():
    records = [
        LogRecord(1, "alloc blk_1"),
        LogRecord(2, "copy blk_1 to blk_2"),
        LogRecord(3, "no id here"),
        LogRecord(4, "done blk_2"),
    ]
    windows = make_windows(records, WindowSpec.parse(r"session:blk_\d+"), {"blk_1": 1})
    by_id = {w.id: w for w in windows}
    assert by_id["blk_1"].messages == ["alloc blk_1", "copy blk_1 to blk_2"] and by_id["blk_1"].label == 1
    assert by_id["blk_2"].messages == ["copy blk_1 to blk_2", "done blk_2"] and by_id["blk_2"].label is None
    assert by_id["blk_2"].order == 2


def test_fixed_windows_keep_partial_tail_and_line_labels():
    windows = make_windows(_records(12, {7: 1}), WindowSpec.parse("fixed:5"))
    assert [len(w) for w in windows] == [5, 5, 2]
    assert [w.label for w in windows] == [None, 1, None]


def test_line_labels_zero_when_known():
    records = [LogRecord(i + 1, "m", float(i), 0 if i != 6 else 1) for i in range(12)]
    assert [w.label for w in make_windows(records, WindowSpec.parse("fixed:5"))] == [0, 1, 0]


def test_sliding_windows_overlap_and_gaps():
    sliding = make_windows(_records(10), WindowSpec.parse("sliding:4:2"))
    assert [w.order for w in sliding] == [1, 3, 5, 7] and all(len(w) == 4 for w in sliding)
    gapped = make_windows(_records(10), WindowSpec.parse("sliding:2:4"))
    assert [[m.split()[1] for m in w.messages] for w in gapped] == [["0", "1"], ["4", "5"], ["8", "9"]]


def test_time_windows_skip_empty_spans():
    records = [LogRecord(i + 1, "m", t) for i, t in enumerate([0, 10, 20, 200, 205])]
    windows = make_windows(records, WindowSpec.parse("time:30:30"))
    assert [len(w) for w in windows] == [3, 2]
    assert windows[1].timestamps == [200, 205]


def test_time_windows_need_timestamps():
    with pytest.raises(BadInputError, match="no timestamp"):
        make_windows([LogRecord(1, "m")], WindowSpec.parse("time:10:10"))


def test_truncation_keeps_most_recent_and_label_of_whole_window():
    records = [LogRecord(i + 1, f"e{i}", float(i), 1 if i == 0 else 0) for i in range(6)]
    (window,) = make_windows(records, WindowSpec.parse("fixed:6"), max_len=3)
    assert window.messages == ["e3", "e4", "e5"] and window.timestamps == [3, 4, 5] and window.label == 1


def _seqs(n: int, anomaly_every: int = 5) -> list[LogSequence]:
    return [LogSequence(f"s{i}", ["m"], [float(n - i)], int(i % anomaly_every == 0), i) for i in range(n)]


def test_chrono_split_orders_by_first_timestamp_and_takes_validation_from_train_end():
    split = split_sequences(_seqs(100), SplitSpec.parse("chrono:0.8"), 0.1)
    assert (len(split.train), len(split.validation), len(split.test)) == (72, 8, 20)
    train_times = [s.start_time for s in split.train]
    assert max(train_times) < min(s.start_time for s in split.validation) < min(s.start_time for s in split.test)


def test_random_split_is_seeded_and_disjoint():
    a = split_sequences(_seqs(100), SplitSpec.parse("random:0.7:3"), 0.2)
    b = split_sequences(_seqs(100), SplitSpec.parse("random:0.7:3"), 0.2)
    assert [s.id for s in a.test] == [s.id for s in b.test]
    ids = [s.id for part in (a.train, a.validation, a.test) for s in part]
    assert len(ids) == len(set(ids)) == 100 and len(a.test) == 30


@pytest.mark.parametrize("text", ["chrono", "chrono:1.5", "random:0.8", "shuffle:0.8"])
def test_bad_split_specs(text):
    with pytest.raises(ConfigError, match="split spec"):
        SplitSpec.parse(text)


def test_hdfs_2pct_chrono_split_matches_published_counts(shared_data):
    folder = shared_data / "hdfs_2pct"
    loaded = load_windows(folder / "HDFS_2pct.log.gz", DataSpec("hdfs"), folder / "anomaly_label.csv")
    split = split_sequences(loaded.sequences, SplitSpec.parse("chrono:0.8"), 0.0)
    assert len(loaded.sequences) == 11501 and loaded.unlabelled == 0
    assert len(split.test) == 2301 and sum(s.label for s in split.test) == 31


def test_oversampling_reaches_beta_exactly():
    seqs = _seqs(100, anomaly_every=20)  # 5 anomalous, 95 normal
    out = oversample_minority(seqs, beta=0.3, seed=1)
    minority = sum(s.label for s in out)
    assert minority == math.ceil(0.3 * 95 / 0.7) == 41 and len(out) - minority == 95
    assert oversample_minority(seqs, beta=0.01) == seqs


def test_oversampling_needs_labels():
    with pytest.raises(BadInputError, match="label on every window"):
        oversample_minority([LogSequence("a", ["m"])], 0.3)
