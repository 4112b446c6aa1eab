"""The Dockerfiles (no Docker engine here): hadolint-clean, pinned multi-stage builds, non-root, and every entrypoint
names a command or module that this package really provides."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted((ROOT / "images").glob("*.Dockerfile"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _stages(path: Path) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, rest in _instructions(path):
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, rest))
    return stages


def test_there_is_a_trainer_a_server_and_an_operator_image():
    assert {p.name for p in DOCKERFILES} == {"trainer.Dockerfile", "server.Dockerfile", "operator.Dockerfile"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_finds_nothing(dockerfile):
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run([hadolint, "--failure-threshold", "info", str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_builds_are_multi_stage_pinned_and_end_as_a_non_root_user(dockerfile):
    instructions = _instructions(dockerfile)
    defaults = dict(re.match(r"(\w+)=(\S+)", rest).groups() for kw, rest in instructions if kw == "ARG" and "=" in rest)
    bases = [rest.split()[0] for kw, rest in instructions if kw == "FROM"]
    stage_names = {rest.split()[-1] for kw, rest in instructions if kw == "FROM" and " AS " in rest.upper()}
    assert len(bases) >= 2, "multi-stage: build tools stay out of the final image"
    for base in bases:
        image = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], base)
        if image in stage_names:
            continue
        tag = image.rpartition(":")[2]
        assert ":" in image and tag != "latest" and re.search(r"\d+\.\d+", tag), f"{image} is not pinned"
    for stage in _stages(dockerfile):
        if any(kw in ("ENTRYPOINT", "CMD") for kw, _ in stage):  # a final stage
            users = [rest for kw, rest in stage if kw == "USER"]
            assert users and users[-1].isdigit() and int(users[-1]) >= 1000, "runs as a numeric non-root user"


def _entrypoints(dockerfile: Path) -> list[list[str]]:
    import json

    return [json.loads(rest) for kw, rest in _instructions(dockerfile) if kw == "ENTRYPOINT"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_entrypoint_exists_in_the_package(dockerfile):
    scripts = PYPROJECT["project"]["scripts"]
    entrypoints = _entrypoints(dockerfile)
    assert entrypoints
    for command in entrypoints:
        if command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(f"{command[2]}.__main__") is not None, command
        elif command == ["kopf"]:
            cmd = [rest for kw, rest in _instructions(dockerfile) if kw == "CMD"][-1]
            module = re.search(r'"-m", "([\w.]+)"', cmd).group(1)
            assert importlib.util.find_spec(module) is not None, module
            assert shutil.which("kopf") or (Path(sys.executable).parent / "kopf").exists()
        else:
            assert command[0] in scripts, command


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_installed_extras_exist_and_installs_are_constrained(dockerfile):
    extras = set(PYPROJECT["project"]["optional-dependencies"])
    for kw, rest in _instructions(dockerfile):
        if kw == "RUN" and "pip install" in rest and '".[' in rest:
            named = set(re.search(r'"\.\[([\w,]+)\]"', rest).group(1).split(","))
            assert named <= extras, named - extras
            assert "--constraint images/constraints.txt" in rest
