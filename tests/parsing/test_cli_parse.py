"""`logad parse` on a tiny HDFS-style log: outputs, summary, grouping accuracy and config handling."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest

from logad.errors import ConfigError

pytest.importorskip("logad.data.readers", reason="logad.data.readers not available yet")
from logad.cli.parse import register  # after the skip: it needs logad.data.readers

HDFS_FORMAT = "<Date> <Time> <Pid> <Level> <Component>: <Content>"
LINES = [
    "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_3886 terminating",
    "081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952 terminating",
    "081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: "
    "10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864",
    "081109 204015 308 INFO dfs.DataNode$PacketResponder: PacketResponder 2 for block blk_8229 terminating",
]


def run_parse(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["parse", *argv])
    return args.handler(args)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "hdfs.log"
    path.write_text("\n".join(LINES) + "\n")
    truth = tmp_path / "truth.csv"
    with truth.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["LineId", "EventId", "EventTemplate"])
        for line_no, event in enumerate(["E10", "E10", "E6", "E10"], start=1):
            writer.writerow([line_no, event, "x"])
    return path


def test_parse_writes_outputs_and_scores(log_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = log_file.parent / "out"
    truth = log_file.parent / "truth.csv"
    assert (
        run_parse("--logs", str(log_file), "--format", HDFS_FORMAT, "--out", str(out), "--ground-truth", str(truth))
        == 0
    )
    printed = capsys.readouterr().out
    assert "4 messages, 2 templates" in printed and "grouping accuracy 1.0000" in printed
    with (out / "structured.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["template_id"] for row in rows] == ["1", "1", "2", "1"]
    assert rows[0]["template"] == "PacketResponder <*> for block <*> terminating"
    with (out / "templates.csv").open() as handle:
        assert [row["occurrences"] for row in csv.DictReader(handle)] == ["3", "1"]


def test_parse_config_file(log_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "train.yaml"
    config.write_text("preprocess:\n  masking:\n    rules: []\n  drain:\n    sim_threshold: 0.9\n")
    assert run_parse("--logs", str(log_file), "--format", HDFS_FORMAT, "--config", str(config)) == 0
    assert "4 templates" in capsys.readouterr().out  # no masking, strict threshold: every line its own
    config.write_text("drain:\n  depth: 1\n")
    with pytest.raises(ConfigError, match="depth"):
        run_parse("--logs", str(log_file), "--format", HDFS_FORMAT, "--config", str(config))
