"""How a served model windows raw lines: its own data spec, the source recorded by `logad prepare`, or an override."""

from __future__ import annotations

import pytest

from logad.cli import main
from logad.data.dataset import DataSpec, raw_line_spec
from logad.data.prepared import read_source
from logad.errors import ConfigError


def test_prepare_records_the_raw_line_spec_beside_the_windows(tmp_path):
    assert main(["synth", "--out", str(tmp_path), "--blocks", "40", "--seed", "1"]) == 0
    windows = tmp_path / "windows.jsonl"
    logs = tmp_path / "tenant-0" / "HDFS.log"
    assert main(["prepare", "--logs", str(logs), "--format", "hdfs", "--out", str(windows), "--quiet"]) == 0
    source = read_source(windows)
    assert source["format"] == "hdfs" and source["window"].startswith("session:")
    assert raw_line_spec({"format": "sessions-jsonl", "source": source}) == DataSpec("hdfs", source["window"])


def test_a_line_format_model_uses_its_own_spec_and_an_override_wins():
    recorded = {"format": "bgl", "window": "fixed:20", "max_len": 64}
    assert raw_line_spec(recorded) == DataSpec("bgl", "fixed:20", 64)
    assert raw_line_spec(recorded, DataSpec("bgl", "fixed:5")) == DataSpec("bgl", "fixed:5")


def test_sessions_without_a_recorded_source_need_an_explicit_format():
    with pytest.raises(ConfigError, match="--log-format"):
        raw_line_spec({"format": "sessions-jsonl"})
