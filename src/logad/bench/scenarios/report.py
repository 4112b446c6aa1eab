"""`logad bench report --out DIR`: rebuild ``DIR/report.html`` from the suite results saved there (JSON + .npz);
trains and scores nothing. Its table says which sections the saved results could fill."""

from __future__ import annotations

import argparse
from pathlib import Path

from logad.bench.html_report import write_html_report
from logad.bench.scenario_table import BenchResult, register_scenario


@register_scenario("report")
def report_scenario(args: argparse.Namespace) -> BenchResult:
    path, sections = write_html_report(Path(args.out))
    return BenchResult(
        title=f"HTML report rebuilt: {path}",
        columns=["section", "from", "included"],
        rows=[{"section": s.name, "from": f"{s.source}.json/.npz", "included": s.included} for s in sections],
        meta={"report": str(path)},
    )
