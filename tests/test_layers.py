"""The house plan holds: imports point only down the floors pyproject.toml's import-linter contract names, and no
modules import each other in a circle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("logad", "logad_serving", "logad_pipelines", "logad_operator")


def test_imports_only_point_down_the_layers() -> None:
    linter = Path(sys.executable).with_name("lint-imports")  # import-linter's command, beside this interpreter
    result = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_no_modules_import_each_other_in_a_circle() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    circles = [chain for module in sorted(graph.modules) if (chain := _circle_through(graph, module))]
    assert not circles, f"import circles: {circles[:3]}"


def _circle_through(graph: grimp.ImportGraph, module: str) -> tuple[str, ...] | None:
    """A chain of imports from ``module`` back to itself, or None."""
    for imported in graph.find_modules_directly_imported_by(module):
        back = graph.find_shortest_chain(importer=imported, imported=module)
        if back:
            return (module, *back)
    return None
