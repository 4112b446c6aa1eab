"""Streaming readers: plain and gzip files, counted bad lines, clear errors, and sessions-jsonl."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from logad.data.formats import FORMATS, SESSIONS_JSONL
from logad.data.readers import ReadReport, open_lines, read_records, read_sessions
from logad.errors import BadInputError, ConfigError

HDFS = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_3886 terminating"
BGL = "- 1117838570 2005.06.03 R02-M1-N0 2005-06-03-15.42.50.675872 R02-M1-N0 RAS KERNEL INFO cache parity error"


def write(path: Path, lines: list[str], compress: bool = False) -> Path:
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def read(path: Path, name: str = "hdfs") -> tuple[list, ReadReport]:
    report = ReadReport(path)
    return list(read_records(path, FORMATS[name], report)), report


@pytest.mark.parametrize("filename", ["a.log.gz", "a.log"])  # gzip is told by its magic bytes, not its name
def test_gzip_reads_like_plain(tmp_path, filename):
    lines = [HDFS, HDFS.replace("148", "149")]
    plain, _ = read(write(tmp_path / "plain.log", lines))
    packed, report = read(write(tmp_path / filename, lines, compress=True))
    assert [(r.line_no, r.content, r.timestamp) for r in packed] == [(r.line_no, r.content, r.timestamp) for r in plain]
    assert report.lines == report.records == 2


def test_records_carry_line_numbers_fields_timestamp_and_label(tmp_path):
    records, report = read(write(tmp_path / "bgl.log", ["", BGL, "KERNDTLB" + BGL[1:]]), "bgl")
    assert [r.line_no for r in records] == [2, 3]
    assert [r.label for r in records] == [0, 1]
    assert records[0].timestamp == 1117838570.0 and records[0].content == "cache parity error"
    assert records[0].fields["Node"] == "R02-M1-N0"
    assert (report.lines, report.records, report.empty_lines, report.malformed) == (3, 2, 1, 0)


def test_crlf_and_surrounding_whitespace_are_removed(tmp_path):
    path = tmp_path / "crlf.log"
    path.write_bytes(f"  {HDFS} \r\n{HDFS}\r\n".encode())
    records, _ = read(path)
    assert [r.content for r in records] == ["PacketResponder 1 for block blk_3886 terminating"] * 2


def test_non_utf8_lines_are_counted_and_kept(tmp_path):
    path = tmp_path / "latin.log"
    path.write_bytes(HDFS.encode() + b" caf\xe9\n" + HDFS.encode() + b"\n")
    records, report = read(path)
    assert len(records) == 2 and report.non_utf8 == 1 and records[0].content.endswith("caf\ufffd")
    assert "1 with invalid UTF-8" in report.summary()


def test_malformed_lines_are_counted_with_examples(tmp_path):
    lines = [HDFS] + [f"garbage {i}" for i in range(7)] + ["", "  ", HDFS]
    records, report = read(write(tmp_path / "mixed.log", lines))
    assert len(records) == 2 and report.malformed == 7 and report.empty_lines == 2
    assert len(report.examples) == 5
    assert report.examples[0] == (2, "does not match format hdfs", "garbage 0")
    summary = report.summary()
    assert "11 lines, 2 read, 7 skipped (e.g. line 2: does not match format hdfs), 2 empty" in summary


def test_example_snippets_are_short(tmp_path):
    _, report = read(write(tmp_path / "long.log", [HDFS, "x" * 5000]))
    assert len(report.examples[0][2]) == 120


@pytest.mark.parametrize(("data", "message"), [(b"", "is empty"), (b"\n \n\n", r"is empty \(3 blank lines\)")])
def test_empty_files_fail(tmp_path, data, message):
    path = tmp_path / "empty.log"
    path.write_bytes(data)
    with pytest.raises(BadInputError, match=message):
        read(path)


def test_empty_gzip_fails(tmp_path):
    path = tmp_path / "empty.log.gz"
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(BadInputError, match="is empty"):
        read(path)


def test_missing_file_and_directory_fail(tmp_path):
    with pytest.raises(BadInputError, match=f"cannot open {tmp_path / 'nope.log'}: No such file"):
        read(tmp_path / "nope.log")
    with pytest.raises(BadInputError, match="is a directory"):
        read(tmp_path)


@pytest.mark.parametrize("damage", ["corrupt", "truncated"])
def test_broken_gzip_fails(tmp_path, damage):
    data = gzip.compress(("\n".join([HDFS] * 2000) + "\n").encode())
    path = tmp_path / "broken.log.gz"
    path.write_bytes(data[:12] + b"\x00" * 64 + data[76:] if damage == "corrupt" else data[: len(data) // 2])
    with pytest.raises(BadInputError, match="not readable as plain text or gzip"):
        read(path)


def test_no_matching_line_names_file_format_header_and_line(tmp_path):
    path = write(tmp_path / "other.log", ["2024-01-01 hello", "second"])
    with pytest.raises(BadInputError) as info:
        read(path)
    assert str(info.value) == (
        f"no line of {path} matches format hdfs (<Date> <Time> <Pid> <Level> <Component>: <Content>); "
        "line 1: '2024-01-01 hello' (does not match format hdfs)"
    )


def test_fails_fast_when_the_first_thousand_lines_do_not_match(tmp_path):
    path = write(tmp_path / "wrong.log", ["wrong format"] * 1000 + [HDFS])
    report = ReadReport(path)
    with pytest.raises(BadInputError, match="no line of"):
        list(read_records(path, FORMATS["hdfs"], report))
    assert report.lines == 1000


def test_a_match_after_many_bad_lines_is_fine(tmp_path):
    records, report = read(write(tmp_path / "late.log", ["wrong format"] * 999 + [HDFS]))
    assert len(records) == 1 and report.malformed == 999


def test_open_lines_streams_without_a_report(tmp_path):
    lines = open_lines(write(tmp_path / "a.log", ["one", "two"]))
    assert next(lines) == (1, "one")
    assert list(lines) == [(2, "two")]


def test_read_records_refuses_the_sessions_format(tmp_path):
    with pytest.raises(ConfigError, match="read_sessions"):
        read(write(tmp_path / "s.jsonl", ["{}"]), SESSIONS_JSONL)


def test_hdfs_2pct_reads_completely(shared_data):
    records, report = read(shared_data / "hdfs_2pct" / "HDFS_2pct.log.gz")
    assert report.lines == report.records == len(records) == 222_579
    assert report.malformed == report.empty_lines == report.non_utf8 == 0


# sessions-jsonl

GOOD = {"id": "s1", "messages": ["a", "b"], "timestamps": [1, 2.5], "label": 1}


def write_sessions(path: Path, rows: list[object]) -> Path:
    return write(path, [row if isinstance(row, str) else json.dumps(row) for row in rows])


def test_sessions_good_lines(tmp_path):
    rows = [GOOD, "", {"id": 7, "messages": ["c"]}, {"id": "s3", "messages": ["d"], "label": 0}]
    report = ReadReport(tmp_path / "s.jsonl")
    sessions = list(read_sessions(write_sessions(tmp_path / "s.jsonl", rows), report))
    assert [(s.id, s.messages, s.timestamps, s.label, s.order) for s in sessions] == [
        ("s1", ["a", "b"], [1.0, 2.5], 1, 1),
        ("7", ["c"], None, None, 3),
        ("s3", ["d"], None, 0, 4),
    ]
    assert (report.lines, report.records, report.empty_lines, report.malformed) == (4, 3, 1, 0)


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "not a JSON object but list"),
        ({"messages": ["a"]}, "field 'id' must be a non-empty string or an integer, not None"),
        ({"id": True, "messages": ["a"]}, "field 'id'"),
        ({"id": "", "messages": ["a"]}, "field 'id'"),
        ({"id": 1.5, "messages": ["a"]}, "field 'id'"),
        ({"id": "x"}, "field 'messages' must be a non-empty list of strings"),
        ({"id": "x", "messages": "a"}, "field 'messages'"),
        ({"id": "x", "messages": []}, "field 'messages'"),
        ({"id": "x", "messages": ["a", 2]}, "field 'messages'"),
        ({"id": "x", "messages": ["a"], "timestamps": 3}, "field 'timestamps' must be a list of numbers"),
        ({"id": "x", "messages": ["a"], "timestamps": ["3"]}, "field 'timestamps' must be a list of numbers"),
        ({"id": "x", "messages": ["a"], "timestamps": [1, 2]}, "field 'timestamps' has 2 items for 1 messages"),
        ({"id": "x", "messages": ["a"], "label": 2}, "field 'label' must be 0 or 1, not 2"),
        ({"id": "x", "messages": ["a"], "label": "1"}, "field 'label' must be 0 or 1"),
        ({"id": "x", "messages": ["a"], "label": True}, "field 'label' must be 0 or 1"),
        ({"id": "s1", "messages": ["again"]}, "duplicate id 's1'"),
    ],
)
def test_sessions_bad_lines_are_counted_skips(tmp_path, bad, reason):
    report = ReadReport(tmp_path / "s.jsonl")
    sessions = list(read_sessions(write_sessions(tmp_path / "s.jsonl", [GOOD, bad]), report))
    assert [s.id for s in sessions] == ["s1"] and report.malformed == 1
    line_no, why, _ = report.examples[0]
    assert line_no == 2 and reason in why


def test_sessions_file_without_a_valid_line_fails(tmp_path):
    path = write_sessions(tmp_path / "s.jsonl", ["{bad", {"id": "x"}])
    with pytest.raises(BadInputError, match=rf"no line of {path} is a valid sessions-jsonl session; line 1: '\{{bad'"):
        list(read_sessions(path, ReadReport(path)))
