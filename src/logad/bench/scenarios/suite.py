"""`logad bench suite`: every suite scenario in order, one set of fitted models shared by all; writes each
scenario's JSON, Markdown and .npz, then the combined ``suite.json`` / ``suite.md`` and ``report.html``."""

from __future__ import annotations

import argparse
import time

from logad.bench.html_report import write_html_report
from logad.bench.report import machine_facts, markdown_table, write_result
from logad.bench.scenario_table import BenchResult, register_scenario
from logad.bench.scenarios.contamination import contamination
from logad.bench.scenarios.drift import drift
from logad.bench.scenarios.few_labels import few_labels
from logad.bench.scenarios.partial import partial_sessions
from logad.bench.scenarios.speed import speed
from logad.bench.scenarios.standard import standard
from logad.bench.scenarios.unseen_templates import unseen_templates
from logad.bench.scenarios.unstable import unstable
from logad.bench.suite.run import SUITE_SCENARIOS, SuiteRun

_STEPS = {
    "standard": standard,
    "contamination": contamination,
    "few-labels": few_labels,
    "unstable": unstable,
    "unseen-templates": unseen_templates,
    "drift": drift,
    "partial": partial_sessions,
    "speed": speed,
}


@register_scenario("suite")
def suite_scenario(args: argparse.Namespace) -> BenchResult:
    return run_suite(SuiteRun.from_args(args))


def run_suite(run: SuiteRun) -> BenchResult:
    """Run every suite scenario, write its files into ``run.out``, and return the combined result."""
    facts = machine_facts()
    rows, tables, scenarios = [], [], {}
    for name in SUITE_SCENARIOS:
        started = time.perf_counter()
        result = _STEPS[name](run)
        seconds = time.perf_counter() - started
        write_result(result, run.out, name, facts)
        rows.append({"scenario": name, "title": result.title, "rows": len(result.rows), "seconds": round(seconds, 1)})
        tables.append(markdown_table(result))
        scenarios[name] = {"title": result.title, "columns": result.columns, "rows": result.rows, "meta": result.meta}
    report, _ = write_html_report(run.out)
    trained = sorted(str(path.relative_to(run.out)) for path in run.fresh)
    return BenchResult(
        title=f"Comparison suite ({len(run.contenders)} contenders, preset {run.preset}, seed {run.seed})",
        columns=["scenario", "title", "rows", "seconds"],
        rows=rows,
        meta={**run.meta(), "scenarios": scenarios, "trained": trained, "report": str(report)},
        notes=[*tables, f"HTML report: {report}. Models trained in this run: {len(trained)} (others reused)."],
    )
