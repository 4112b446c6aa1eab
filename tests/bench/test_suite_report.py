"""The suite's combined result and its HTML report: written by the suite, rebuilt from the saved files."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np

from logad.bench.html_report import FIGURES, REPORT, write_html_report
from logad.bench.suite.run import SUITE_SCENARIOS
from logad.cli import main

KINDS = [spec.kind for spec in FIGURES]
FIGURE = re.compile(r'<figure data-kind="([^"]+)"><img alt="[^"]*" src="data:image/png;base64,[A-Za-z0-9+/=]+">')


def _figure_kinds(text: str) -> list[str]:
    return FIGURE.findall(text)


def test_the_suite_writes_every_scenario_and_a_combined_result(suite_run):
    out, result = suite_run
    assert [row["scenario"] for row in result.rows] == list(SUITE_SCENARIOS)
    assert all(row["rows"] > 0 and row["seconds"] >= 0 for row in result.rows)
    for name in SUITE_SCENARIOS:
        assert (out / f"{name}.json").is_file() and (out / f"{name}.md").is_file()
        assert f"### {json.loads((out / f'{name}.json').read_text())['title']}" in "\n".join(result.notes)
    assert {p.name for p in out.glob("*.npz")} == {"standard.npz", "drift.npz"}
    assert set(result.meta["scenarios"]) == set(SUITE_SCENARIOS) and result.meta["trained"]


def test_the_html_report_holds_one_image_per_figure_kind_and_every_table(suite_run):
    out, _ = suite_run
    text = (out / REPORT).read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert _figure_kinds(text) == KINDS and text.count("<img") == len(KINDS)
    assert all(f'<section id="{name}">' in text for name in SUITE_SCENARIOS)
    assert text.count("<table>") == len(SUITE_SCENARIOS)


def test_logad_bench_report_rebuilds_the_page_from_saved_results(suite_run, tmp_path, capsys):
    out, _ = suite_run
    copy = tmp_path / "bench"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("models", "data", REPORT))
    assert main(["bench", "report", "--out", str(copy)]) == 0
    assert _figure_kinds((copy / REPORT).read_text()) == KINDS
    sections = json.loads((copy / "report.json").read_text())["rows"]
    assert all(section["included"] for section in sections)
    assert "report.html" in capsys.readouterr().out


def test_a_report_from_partial_results_leaves_out_what_is_missing(suite_run, tmp_path):
    out, _ = suite_run
    shutil.copy(out / "drift.json", tmp_path / "drift.json")
    shutil.copy(out / "unstable.json", tmp_path / "unstable.json")
    path, sections = write_html_report(tmp_path)
    text = path.read_text()
    assert _figure_kinds(text) == [] and "Not run yet: standard, contamination, few-labels" in text
    assert {s.name: s.included for s in sections} == {
        **{f"figure: {kind}": False for kind in KINDS},
        "table: unstable": True,
        "table: drift": True,
    }


def test_unknown_contenders_are_a_clear_cli_error(tmp_path, capsys):
    assert main(["bench", "standard", "--data", str(tmp_path), "--out", str(tmp_path), "--detectors", "nope"]) == 2
    assert "unknown contender(s) nope" in capsys.readouterr().err


def test_a_threshold_trace_below_every_score_is_still_drawn(suite_run, tmp_path):
    """A threshold may be -inf (an operator's verdict asking for every window); the drift figures leave it out of
    their axis range instead of failing."""
    out, _ = suite_run
    shutil.copy(out / "drift.json", tmp_path / "drift.json")
    with np.load(out / "drift.npz") as data:
        saved = dict(data)
    trace = next(key for key in saved if "/threshold/" in key)
    saved[trace] = np.full_like(saved[trace], -np.inf)
    np.savez(tmp_path / "drift.npz", **saved)
    path, _ = write_html_report(tmp_path)
    assert f"drift-{trace.split('/')[1]}" in _figure_kinds(path.read_text())
