"""Capabilities, not names: outside a detector's own sub-package no module spells a registered detector's name as a
string literal; the platform reads what detectors declare (``logad.detectors.capabilities``) instead."""

from __future__ import annotations

import ast
from pathlib import Path

from logad.detectors.registry import available_detectors

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "serving", "operators", "pipelines")
DETECTORS = ROOT / "src" / "logad" / "detectors"
# Modules that may name detectors, each with its reason.
ALLOWED = {
    # The registry: the quickstart's default detector.
    "src/logad/detectors/registry.py",
    # Benchmarks are registries of what they run, named as their reports name them:
    "src/logad/bench/scenario_table.py",  # scenarios named after the detector they study
    "src/logad/bench/suite/contenders.py",  # the suite's contenders and the detector each one trains
    "src/logad/bench/common.py",  # the baseline: every study's reference score
    "src/logad/bench/scenarios/bertloganom.py",  # the BERT-LogAnom study and its unsupervised peers
    "src/logad/bench/scenarios/logllm.py",  # the LogLLM study
    "src/logad/bench/scenarios/logsentry.py",  # the LogSentry study
    "src/logad/bench/scenarios/standard.py",  # the report's t-SNE figure of LogSentry's pre-trained embeddings
}


def _named_detectors(path: Path, names: set[str]) -> list[str]:
    """``line: 'name'`` for each string constant of ``path`` equal to a detector name."""
    tree = ast.parse(path.read_text(), str(path))
    return [
        f"{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]


def test_only_a_detectors_own_package_and_the_allowlist_name_it():
    names = set(available_detectors())
    found = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            own = path.is_relative_to(DETECTORS) and path.relative_to(DETECTORS).parts[0] in names
            if own or relative in ALLOWED:
                continue
            if hits := _named_detectors(path, names):
                found[relative] = hits
    assert found == {}, "read the detector's declarations (logad.detectors.capabilities) instead of its name"


def test_the_allowlist_has_no_stale_entries():
    names = set(available_detectors())
    assert [path for path in sorted(ALLOWED) if not _named_detectors(ROOT / path, names)] == []


def test_the_check_sees_a_literal_not_a_mention(tmp_path: Path):
    module = tmp_path / "module.py"
    module.write_text('"""Mentions logsentry."""\n\nif detector == "logsentry":\n    pass\n')
    assert _named_detectors(module, {"logsentry"}) == ["3: 'logsentry'"]
