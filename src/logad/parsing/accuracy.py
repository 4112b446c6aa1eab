"""Log parsing accuracy against ground-truth templates (Loghub's ``*_structured*.csv``).

* Grouping accuracy (GA, Zhu et al., ICSE-SEIP 2019): a message is correct iff the set of lines in its
  predicted group equals the set of lines in its ground-truth group.
* Grouping F1 (FGA, Jiang et al., ICSE 2024): F1 of the share of predicted groups that are correct and the
  share of ground-truth groups that are found exactly.
* Parsing accuracy (PA, Dai et al., TSE 2022): a message is correct iff its predicted template text equals
  the ground-truth template (whitespace-normalised). Masked templates write some variables differently
  (``<*>`` for ``<*>:<*>``), so PA is a strict lower bound here.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from logad.errors import BadInputError


@dataclass(frozen=True)
class GroundTruth:
    """Ground-truth event ID and template per line number."""

    event_ids: dict[int, str]
    templates: dict[int, str]


@dataclass(frozen=True)
class ParseScores:
    """Accuracy of one parse over the lines it shares with the ground truth."""

    lines: int
    grouping_accuracy: float
    grouping_f1: float
    parsing_accuracy: float
    predicted_groups: int
    true_groups: int


def load_ground_truth(path: Path) -> GroundTruth:
    """Read ``LineId``, ``EventId`` and ``EventTemplate`` from a Loghub structured CSV."""
    path = Path(path)
    event_ids: dict[int, str] = {}
    templates: dict[int, str] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"LineId", "EventId", "EventTemplate"} - set(reader.fieldnames or ())
            if missing:
                raise BadInputError(f"{path}: ground truth needs column(s) {', '.join(sorted(missing))}")
            for row in reader:
                try:
                    line_no = int(row["LineId"])
                except (TypeError, ValueError):
                    raise BadInputError(f"{path}:{reader.line_num}: LineId {row['LineId']!r} is not a number") from None
                event_ids[line_no] = row["EventId"]
                templates[line_no] = row["EventTemplate"]
    except OSError as exc:
        raise BadInputError(f"cannot read ground truth {path}: {exc.strerror}") from None
    return GroundTruth(event_ids, templates)


def grouping_scores(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> tuple[float, float]:
    """(GA, FGA) of predicted group labels against true group labels, aligned by position."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predicted labels for {len(truth)} true labels")
    if not truth:
        return 0.0, 0.0
    predicted_sizes, true_sizes = Counter(predicted), Counter(truth)
    correct_groups = correct_lines = 0
    for (pred, true), count in Counter(zip(predicted, truth, strict=True)).items():
        if count == predicted_sizes[pred] == true_sizes[true]:
            correct_groups += 1
            correct_lines += count
    precision, recall = correct_groups / len(predicted_sizes), correct_groups / len(true_sizes)
    f1 = 2 * precision * recall / (precision + recall) if correct_groups else 0.0
    return correct_lines / len(truth), f1


def score_parse(
    line_ids: dict[int, int], templates: dict[int, str], truth: GroundTruth
) -> tuple[ParseScores, list[int]]:
    """Scores of a parse (template ID per line number, template text per ID) over the lines it shares with
    the ground truth, plus the ground-truth lines missing from the parse."""
    shared = [line for line in truth.event_ids if line in line_ids]
    missing = [line for line in truth.event_ids if line not in line_ids]
    predicted = [line_ids[line] for line in shared]
    ga, fga = grouping_scores(predicted, [truth.event_ids[line] for line in shared])
    exact = sum(_normalise(templates.get(line_ids[line], "")) == _normalise(truth.templates[line]) for line in shared)
    scores = ParseScores(
        lines=len(shared),
        grouping_accuracy=ga,
        grouping_f1=fga,
        parsing_accuracy=exact / len(shared) if shared else 0.0,
        predicted_groups=len(set(predicted)),
        true_groups=len({truth.event_ids[line] for line in shared}),
    )
    return scores, missing


def _normalise(template: str) -> str:
    return " ".join(template.split())
