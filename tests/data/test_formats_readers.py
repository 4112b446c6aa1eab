"""Formats, streaming readers and label files, including every bad-input case."""

from __future__ import annotations

import gzip
import json

import pytest

from logad.data.formats import FORMATS, get_format
from logad.data.labels import check_label_coverage, load_session_labels
from logad.data.readers import ReadReport, read_records, read_sessions
from logad.errors import BadInputError, ConfigError

HDFS = (
    "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating"
)
BGL = (
    "KERNDTLB 1118536327 2005.06.11 R30-M0-N9-C:J16-U01 2005-06-11-17.32.07.581048 R30-M0-N9-C:J16-U01 "
    "RAS KERNEL FATAL data TLB error interrupt"
)


def test_every_loghub_2k_system_parses_completely(shared_data):
    for folder in sorted(p for p in (shared_data / "loghub_2k").iterdir() if p.is_dir()):
        report = ReadReport(path=folder)
        records = list(read_records(folder / f"{folder.name}_2k.log", get_format(folder.name), report))
        assert len(records) == 2000 and report.malformed == 0, folder.name
        assert records[0].timestamp is not None, folder.name


def test_hdfs_fields_timestamp_and_bgl_label(tmp_path):
    path = tmp_path / "x.log"
    path.write_text(f"{BGL}\n- {BGL.split(' ', 1)[1]}\n")
    rec = get_format("hdfs").parse_line(HDFS)
    assert rec["Component"] == "dfs.DataNode$PacketResponder" and rec["Content"].startswith("PacketResponder 1")
    assert get_format("hdfs").timestamp(rec) == 1226262975.0
    bgl = list(read_records(path, FORMATS["bgl"], ReadReport(path=path)))
    assert [r.label for r in bgl] == [1, 0] and bgl[0].timestamp == 1118536327.0


def test_custom_header_and_unknown_format():
    fmt = get_format(r"<Level> \[<Thread>\] <Content>")
    assert fmt.parse_line("WARN [main] disk almost full") == {
        "Level": "WARN",
        "Thread": "main",
        "Content": "disk almost full",
    }
    with pytest.raises(ConfigError, match="unknown log format 'hdfz'"):
        get_format("hdfz")
    with pytest.raises(ConfigError, match="no <Content> field"):
        get_format("<Date> <Time>")


def test_gzip_equals_plain_and_counts_are_reported(tmp_path):
    lines = [HDFS, "garbage line", "", HDFS.replace("148", "149")]
    plain, gz = tmp_path / "a.log", tmp_path / "a.log.gz"
    plain.write_text("\n".join(lines) + "\n")
    with gzip.open(gz, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    reports = [ReadReport(path=plain), ReadReport(path=gz)]
    results = [list(read_records(p, FORMATS["hdfs"], r)) for p, r in zip((plain, gz), reports, strict=True)]
    assert [r.content for r in results[0]] == [r.content for r in results[1]]
    assert reports[0].malformed == 1 and reports[0].empty_lines == 1 and reports[0].records == 2
    assert "line 2" in reports[0].summary() and "1 skipped" in reports[0].summary()


def test_non_utf8_is_counted_not_dropped(tmp_path):
    path = tmp_path / "bad.log"
    path.write_bytes(HDFS.encode() + b" \xff\xfe\n" + HDFS.encode() + b"\n")
    report = ReadReport(path=path)
    records = list(read_records(path, FORMATS["hdfs"], report))
    assert len(records) == 2 and report.non_utf8 == 1 and "\ufffd" in records[0].content


@pytest.mark.parametrize(("content", "message"), [("", "is empty"), ("not hdfs\nat all\n", "no line of")])
def test_empty_and_unmatched_files_fail_clearly(tmp_path, content, message):
    path = tmp_path / "f.log"
    path.write_text(content)
    with pytest.raises(BadInputError, match=message):
        list(read_records(path, FORMATS["hdfs"], ReadReport(path=path)))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(BadInputError, match="cannot open"):
        list(read_records(tmp_path / "nope", FORMATS["hdfs"], ReadReport(path=tmp_path)))
    with pytest.raises(BadInputError, match="is a directory"):
        list(read_records(tmp_path, FORMATS["hdfs"], ReadReport(path=tmp_path)))


def test_sessions_jsonl_good_and_bad_lines(tmp_path):
    rows = [
        {"id": "a", "messages": ["x", "y"], "timestamps": [1, 2], "label": 1},
        {"id": 7, "messages": ["z"]},
        "{not json",
        {"id": "b", "messages": []},
        {"id": "c", "messages": ["x"], "timestamps": [1, 2]},
        {"id": "d", "messages": ["x"], "label": 2},
        {"id": "a", "messages": ["dup"]},
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    report = ReadReport(path=path)
    sessions = list(read_sessions(path, report))
    assert [s.id for s in sessions] == ["a", "7"] and sessions[0].label == 1 and sessions[0].timestamps == [1.0, 2.0]
    assert report.malformed == 5
    reasons = " ".join(reason for _, reason, _ in report.examples)
    for expected in ("invalid JSON", "'messages'", "'timestamps' has 2 items", "'label' must be 0 or 1"):
        assert expected in reasons


def test_session_labels_and_coverage(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("BlockId,Label\nblk_1,Normal\nblk_2,Anomaly\n")
    assert load_session_labels(path) == {"blk_1": 0, "blk_2": 1}
    assert check_label_coverage(["blk_1"], ["blk_1", "blk_9"], path) == 1
    with pytest.raises(BadInputError, match="matches none of the 1 sessions"):
        check_label_coverage(["blk_1"], ["other"], path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo,bar\n1,2\n", "needs a header"),
        ("id,label\nx,maybe\n", "line 2: label 'maybe'"),
        ("id,label\nx,0\nx,1\n", "both normal and anomalous"),
        ("id,label\n", "has no rows"),
    ],
)
def test_bad_label_files(tmp_path, text, message):
    path = tmp_path / "l.csv"
    path.write_text(text)
    with pytest.raises(BadInputError, match=message):
        load_session_labels(path)


@pytest.mark.parametrize(
    ("name", "line", "content"),
    [
        (
            "liberty",
            "- 1102911143 2004.12.12 ln48 Dec 12 20:12:23 ln48/ln48 kernel: ip_tables: (C) 2000-2002 Netfilter",
            "ip_tables: (C) 2000-2002 Netfilter",
        ),
        (
            "windows",
            "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505",
            "Loaded Servicing Stack v6.1.7601.23505",
        ),
        (
            "android",
            "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken",
            "printFreezingDisplayLogsopening app wtoken",
        ),
    ],
)
def test_formats_without_a_2k_sample_here(name, line, content):
    fields = FORMATS[name].parse_line(line)
    assert fields is not None and fields["Content"] == content
    assert FORMATS[name].timestamp(fields) is not None
