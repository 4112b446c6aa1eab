"""Request lines to records: problems with 1-based line numbers, timestamps and per-line labels."""

from __future__ import annotations

import pytest

from logad.data.formats import get_format
from logad.errors import ConfigError
from logad.streaming import LineProblem, parse_lines

HDFS = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_3886504906 terminating"
BGL = "- 1117838570 2005.06.03 R02-M1-N0 2005-06-03-15.42.50.675872 R02-M1-N0 RAS KERNEL INFO cache parity error"


def test_problems_name_the_request_line():
    fmt = get_format("hdfs")
    lines = [HDFS, "not a log line", "", "   \t", 42, None, "x" * 70_000, f"  {HDFS}\n"]
    records, problems = parse_lines(lines, fmt)
    assert [r.line_no for r in records] == [1, 8]
    assert records[0].content == records[1].content == HDFS.split(": ", 1)[1]
    assert problems == [
        LineProblem(2, f"does not match format hdfs ({fmt.header})", "no_match"),
        LineProblem(3, "empty line", "empty"),
        LineProblem(4, "empty line", "empty"),
        LineProblem(5, "not a string", "not_string"),
        LineProblem(6, "not a string", "not_string"),
        LineProblem(7, "longer than 65536 characters", "too_long"),
    ]


def test_max_line_chars_is_a_parameter():
    records, problems = parse_lines([HDFS, "081109 203615 148 INFO a: b"], get_format("hdfs"), max_line_chars=40)
    assert problems == [LineProblem(1, "longer than 40 characters", "too_long")] and [r.line_no for r in records] == [2]


def test_timestamps_and_labels_come_through():
    records, problems = parse_lines([BGL, "KERNDTLB" + BGL[1:]], get_format("bgl"))
    assert not problems
    assert [(r.timestamp, r.label, r.content) for r in records] == [
        (1117838570.0, 0, "cache parity error"),
        (1117838570.0, 1, "cache parity error"),
    ]
    (hdfs,), _ = parse_lines([HDFS], get_format("hdfs"))
    assert hdfs.timestamp == 1226262975.0 and hdfs.label is None


def test_sessions_format_is_a_config_error():
    with pytest.raises(ConfigError, match="holds sessions"):
        parse_lines([HDFS], get_format("sessions-jsonl"))
