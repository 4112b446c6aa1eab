"""Grouping accuracy, grouping F1 and parsing accuracy on handmade parses; ground-truth CSV errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from logad.errors import BadInputError
from logad.parsing.accuracy import GroundTruth, grouping_scores, load_ground_truth, score_parse


def test_grouping_scores() -> None:
    # predicted group 1 = true A exactly, 2 and 3 split B, 4 = C exactly
    ga, fga = grouping_scores([1, 1, 2, 3, 4], ["A", "A", "B", "B", "C"])
    assert ga == pytest.approx(3 / 5)
    precision, recall = 2 / 4, 2 / 3
    assert fga == pytest.approx(2 * precision * recall / (precision + recall))
    assert grouping_scores([1, 1, 1], ["A", "A", "B"]) == (0.0, 0.0)  # over-merged: nothing correct
    assert grouping_scores(["x", "y"], ["A", "B"]) == (1.0, 1.0)  # labels themselves do not matter
    with pytest.raises(ValueError):
        grouping_scores([1], [])


def test_score_parse_aligns_by_line_and_reports_missing_lines() -> None:
    truth = GroundTruth({1: "E1", 2: "E1", 3: "E2", 4: "E3"}, {1: "a <*>", 2: "a <*>", 3: "b  c", 4: "d"})
    scores, missing = score_parse({1: 7, 2: 7, 3: 8, 9: 9}, {7: "a <*>", 8: "b c"}, truth)
    assert missing == [4]
    assert (scores.lines, scores.grouping_accuracy, scores.parsing_accuracy) == (3, 1.0, 1.0)
    assert (scores.predicted_groups, scores.true_groups) == (2, 2)


def test_load_ground_truth(tmp_path: Path) -> None:
    path = tmp_path / "gt.csv"
    path.write_text('LineId,Content,EventId,EventTemplate\n1,x 1,E1,x <*>\n2,"y, z",E2,"y, z"\n')
    truth = load_ground_truth(path)
    assert truth.event_ids == {1: "E1", 2: "E2"} and truth.templates[2] == "y, z"
    path.write_text("LineId,EventId\n1,E1\n")
    with pytest.raises(BadInputError, match="EventTemplate"):
        load_ground_truth(path)
    path.write_text("LineId,EventId,EventTemplate\n1,E1,a\nx,E2,b\n")
    with pytest.raises(BadInputError, match=r"gt.csv:3: LineId 'x'"):
        load_ground_truth(path)
    with pytest.raises(BadInputError, match="cannot read"):
        load_ground_truth(tmp_path / "absent.csv")
