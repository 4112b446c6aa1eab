"""`logad parse`: mine templates from a log file, write them per line, and score them against ground truth."""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from logad.config import config_from_dict, load_config_file
from logad.data.formats import get_format
from logad.data.readers import ReadReport, read_records
from logad.parsing.accuracy import load_ground_truth, score_parse
from logad.parsing.preprocessor import PreprocessConfig, Preprocessor


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("parse", help="mine log templates (masking + Drain) from a log file")
    parser.add_argument("--logs", type=Path, required=True, help="log file (plain or .gz)")
    parser.add_argument("--format", required=True, help="log format name (hdfs, bgl, ...) or a Loghub header string")
    parser.add_argument("--out", type=Path, help="folder for structured.csv and templates.csv")
    parser.add_argument(
        "--ground-truth",
        type=Path,
        help="Loghub structured CSV (LineId, EventId, EventTemplate) to score against",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="JSON or YAML PreprocessConfig (masking, drain), or a train config's `preprocess`",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    preprocessor = Preprocessor(_config(args.config))
    report = ReadReport(path=args.logs)
    records = list(read_records(args.logs, get_format(args.format), report))
    messages = [record.content for record in records]
    preprocessor.fit(messages)
    line_ids = dict(zip((r.line_no for r in records), preprocessor.template_ids(messages), strict=True))
    templates = preprocessor.templates
    if args.out:
        _write_outputs(args.out, line_ids, templates)
    print(report.summary())
    print(f"{len(messages)} messages, {len(templates)} templates (template store {preprocessor.version})")
    if args.ground_truth:
        scores, missing = score_parse(line_ids, templates, load_ground_truth(args.ground_truth))
        print(
            f"grouping accuracy {scores.grouping_accuracy:.4f}, grouping F1 {scores.grouping_f1:.4f}, "
            f"parsing accuracy {scores.parsing_accuracy:.4f} over {scores.lines} lines "
            f"({scores.predicted_groups} groups found, {scores.true_groups} in the ground truth)"
        )
        if missing:
            print(f"{len(missing)} ground-truth lines are not in the parse (first: line {missing[0]})")
    if args.out:
        print(f"wrote {args.out / 'structured.csv'} and {args.out / 'templates.csv'}")
    return 0


def _config(path: Path | None) -> PreprocessConfig:
    data = load_config_file(path) if path else {}
    if "preprocess" in data:
        return config_from_dict(PreprocessConfig, data["preprocess"], f"{path}: preprocess")
    return config_from_dict(PreprocessConfig, data, str(path))


def _write_outputs(out: Path, line_ids: dict[int, int], templates: dict[int, str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "structured.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line_no", "template_id", "template"])
        writer.writerows((line, tid, templates.get(tid, "")) for line, tid in line_ids.items())
    counts = Counter(line_ids.values())
    with (out / "templates.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["template_id", "template", "occurrences"])
        writer.writerows((tid, template, counts[tid]) for tid, template in templates.items())
