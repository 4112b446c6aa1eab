"""The one registry of detectors, keyed by name; detector sub-packages register on import."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from logad.detectors.capabilities import Capabilities
from logad.errors import ConfigError

_DETECTORS: dict[str, type] = {}


def _builtin_modules() -> dict[str, str]:
    """The module registering each built-in detector: every sub-package of ``logad.detectors`` with a ``detector``
    module registers the detector named as the package. Imported on first use, so that `logad` stays fast and
    optional heavy extras are only needed when used; the package declares CAPABILITIES and imports nothing heavy."""
    root = Path(__file__).parent
    return {
        info.name: f"{__package__}.{info.name}.detector"
        for info in pkgutil.iter_modules([str(root)])
        if info.ispkg and (root / info.name / "detector.py").is_file()
    }


_BUILTIN_MODULES = _builtin_modules()
# What `logad quickstart` trains unless told otherwise: it trains in seconds on a CPU with no extra installed.
DEFAULT_DETECTOR = "baseline"


def register_detector(cls: type) -> type:
    """Class decorator: add a Detector subclass to the registry under ``cls.name``."""
    _DETECTORS[cls.name] = cls
    return cls


def available_detectors() -> list[str]:
    """Names of every built-in and registered detector."""
    return sorted(set(_BUILTIN_MODULES) | set(_DETECTORS))


def get_detector_class(name: str) -> type:
    """The detector class registered as ``name``; a clear error for an unknown name or missing extra."""
    if name not in _DETECTORS and name in _BUILTIN_MODULES:
        try:
            importlib.import_module(_BUILTIN_MODULES[name])
        except ImportError as exc:
            raise ConfigError(
                f"detector {name!r} needs an optional dependency that is not installed ({exc.name}); "
                "install logad with the [train] extra"
            ) from None
    if name not in _DETECTORS:
        raise ConfigError(f"unknown detector {name!r}; available: {', '.join(available_detectors())}")
    return _DETECTORS[name]


def detector_capabilities(name: str) -> Capabilities:
    """What detector ``name`` declares (see ``capabilities``); a built-in one's code is not imported."""
    if name in _DETECTORS:
        return _DETECTORS[name].capabilities
    if name in _BUILTIN_MODULES:
        return importlib.import_module(_BUILTIN_MODULES[name].rpartition(".")[0]).CAPABILITIES
    raise ConfigError(f"unknown detector {name!r}; available: {', '.join(available_detectors())}")


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for a detector package: ``exports`` maps a name to the submodule defining it,
    imported on first access, so that importing the package (for its CAPABILITIES) imports no heavy code."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    return __getattr__
