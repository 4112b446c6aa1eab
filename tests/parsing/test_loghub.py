"""Drain with logad's default preprocessing on real Loghub-2k HDFS lines."""

from __future__ import annotations

import csv
from pathlib import Path

from logad.parsing.accuracy import load_ground_truth, score_parse
from logad.parsing.preprocessor import Preprocessor


def test_hdfs_2k_grouping_accuracy(shared_data: Path) -> None:
    path = shared_data / "loghub_2k" / "HDFS" / "HDFS_2k.log_structured_corrected.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        lines = {int(row["LineId"]): row["Content"] for row in csv.DictReader(handle)}
    preprocessor = Preprocessor()
    preprocessor.fit(lines.values())
    line_ids = dict(zip(lines, preprocessor.template_ids(list(lines.values())), strict=True))
    scores, missing = score_parse(line_ids, preprocessor.templates, load_ground_truth(path))
    assert not missing and scores.lines == 2000
    assert scores.grouping_accuracy >= 0.9
