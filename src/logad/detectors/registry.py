"""The one registry of detectors, keyed by name; detector sub-packages register on import."""

from __future__ import annotations

import importlib

from logad.errors import ConfigError

_DETECTORS: dict[str, type] = {}
# Sub-packages imported lazily so that `logad` stays fast and optional heavy extras are only needed when used.
_BUILTIN_MODULES: dict[str, str] = {
    "baseline": "logad.detectors.baseline",
    "bertloganom": "logad.detectors.bertloganom",
    "deeplog": "logad.detectors.deeplog",
    "logllm": "logad.detectors.logllm",
    "logsentry": "logad.detectors.logsentry",
}


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
