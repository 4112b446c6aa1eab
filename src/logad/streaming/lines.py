"""The raw log lines of one request as records, with a problem for each line that gives none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from logad.data.formats import LogFormat
from logad.data.readers import line_parser
from logad.data.types import LogRecord


@dataclass(frozen=True)
class LineProblem:
    """A request line that gave no record: its 1-based index in the request, why, and the kind of problem (one of
    a fixed few: a metrics label)."""

    line: int
    reason: str
    kind: str


def parse_lines(
    lines: Sequence[str], fmt: LogFormat, max_line_chars: int = 65536
) -> tuple[list[LogRecord], list[LineProblem]]:
    """Records of ``lines`` in ``fmt`` (read as ``read_records`` reads a file line), ``line_no`` their request index.

    Non-strings, lines longer than ``max_line_chars``, blank lines and lines that do not match are problems.
    """
    parse = line_parser(fmt)
    no_match = f"does not match format {fmt.name} ({fmt.header})"
    records: list[LogRecord] = []
    problems: list[LineProblem] = []
    for index, text in enumerate(lines, start=1):
        if not isinstance(text, str):
            problems.append(LineProblem(index, "not a string", "not_string"))
        elif len(text) > max_line_chars:
            problems.append(LineProblem(index, f"longer than {max_line_chars} characters", "too_long"))
        elif not (line := text.strip()):
            problems.append(LineProblem(index, "empty line", "empty"))
        elif (record := parse(index, line)) is None:
            problems.append(LineProblem(index, no_match, "no_match"))
        else:
            records.append(record)
    return records, problems
