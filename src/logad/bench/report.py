"""Render a BenchResult as a Markdown table and write it with JSON (and its arrays as .npz) beside it."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from logad import __version__
from logad.bench.scenario_table import BenchResult

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the imported logad package


def markdown_table(result: BenchResult) -> str:
    """A GitHub-flavoured Markdown table of the result's rows."""
    lines = [f"### {result.title}", "", "| " + " | ".join(result.columns) + " |"]
    lines.append("|" + "|".join("---" for _ in result.columns) + "|")
    for row in result.rows:
        lines.append("| " + " | ".join(format_cell(row.get(col)) for col in result.columns) + " |")
    lines += [f"\n{note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def format_cell(value: Any) -> str:
    """A table cell: "-" for missing values, four decimals for small floats, thousands separators otherwise."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _git(*args: str) -> str:
    """Output of a git command run in the checkout that holds this package (not the caller's directory)."""
    try:
        command = ["git", "-C", str(PACKAGE_DIR), *args]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=5).stdout.strip()
    except OSError:
        return ""


def machine_facts() -> dict[str, Any]:
    """Machine and commit the numbers were measured on (call it when the run starts: the code a run imports is
    the code of that moment). The commit is that of the checkout holding the imported logad package, "unknown"
    outside one; "+dirty" marks uncommitted changes to its tracked files."""
    commit = _git("rev-parse", "--short", "HEAD")
    if commit and _git("status", "--porcelain", "--untracked-files=no"):
        commit += "+dirty"
    return {
        "logad_version": __version__,
        "commit": commit or "unknown",
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": psutil.cpu_count(logical=True),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
    }


def write_result(result: BenchResult, out_dir: Path, name: str, facts: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``name.json`` and ``name.md`` into ``out_dir`` with the ``machine_facts`` of the run's start, and the
    result's arrays (if any) as ``name.npz``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {**facts, **result.meta}
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    payload = {
        "scenario": name,
        "title": result.title,
        "meta": meta,
        "columns": result.columns,
        "rows": result.rows,
    }
    json_path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    md_path.write_text(markdown_table(result) + f"\nMeasured on {meta['cores']} cores, commit {meta['commit']}.\n")
    if result.arrays:
        np.savez_compressed(out_dir / f"{name}.npz", **result.arrays)
    return json_path, md_path
