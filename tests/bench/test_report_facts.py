"""The machine facts a benchmark records: the commit is that of the code that ran, wherever it was run from."""

from __future__ import annotations

import subprocess

import pytest

from logad.bench.report import PACKAGE_DIR, machine_facts


def test_the_commit_is_the_packages_checkout_not_the_working_directory(tmp_path, monkeypatch):
    command = ["git", "-C", str(PACKAGE_DIR), "rev-parse", "--short", "HEAD"]
    head = subprocess.run(command, capture_output=True, text=True, check=False)
    if head.returncode != 0:
        pytest.skip("logad is not imported from a git checkout")
    monkeypatch.chdir(tmp_path)  # not a repository: the old lookup in the working directory said "unknown"
    facts = machine_facts()
    assert facts["commit"].removesuffix("+dirty") == head.stdout.strip()
    assert facts["cores"] >= 1 and facts["memory_gib"] > 0
