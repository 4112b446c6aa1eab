"""Issue 25: the README stays short (<= 250 lines) and links only to files that exist; the reference moved to the
mkdocs pages under docs/, which build with ``mkdocs build --strict`` (broken links between pages fail it)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_README_LINES = 250

# [text](target) and ![alt](target), the target up to whitespace or the closing parenthesis
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def relative_links(markdown: str) -> list[str]:
    """The link targets of a Markdown text that point into the repository (no scheme, no pure #anchor), without
    their #fragment or ?query; fenced code blocks are skipped."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    targets = []
    for target in LINK.findall(text):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
            continue
        targets.append(re.split(r"[#?]", target, maxsplit=1)[0])
    return targets


def nav_pages(nav) -> set[str]:
    """Every page path listed in an mkdocs ``nav`` (nested sections included)."""
    if isinstance(nav, str):
        return {nav}
    if isinstance(nav, list):
        return set().union(*(nav_pages(item) for item in nav)) if nav else set()
    if isinstance(nav, dict):
        return set().union(*(nav_pages(value) for value in nav.values())) if nav else set()
    return set()


def test_the_link_helper_finds_relative_links_only():
    text = "[a](docs/x.md#part) ![i](img/p.png) [w](https://e.org) [h](#top) <a>\n```\n[c](not/a/link.md)\n```\n"
    assert relative_links(text) == ["docs/x.md", "img/p.png"]


def test_readme_is_short_and_its_relative_links_resolve():
    text = README.read_text()
    lines = len(text.splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/ (issue 25)"
    links = relative_links(text)
    assert links, "README.md links to no docs page"
    broken = [link for link in links if not (README.parent / link).exists()]
    assert not broken, f"README.md links to missing files: {broken}"


def test_every_docs_page_is_in_the_nav():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    docs = ROOT / config.get("docs_dir", "docs")
    pages = {path.relative_to(docs).as_posix() for path in docs.rglob("*.md")}
    assert pages, "docs/ holds no pages"
    assert pages == nav_pages(config["nav"])


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None,
    reason="mkdocs is not installed (the dev extra installs mkdocs-material, which brings it)",
)
def test_mkdocs_builds_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").exists()
    # tables render as HTML tables (the tables extension), not as text
    assert "<table>" in (tmp_path / "site" / "benchmarks" / "index.html").read_text()
