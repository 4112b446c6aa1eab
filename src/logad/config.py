"""One config style for the whole project: dataclasses, loaded strictly from dicts, JSON or YAML."""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from logad.errors import ConfigError

T = TypeVar("T")


def config_from_dict(cls: type[T], data: dict[str, Any] | None, where: str = "config") -> T:
    """Build dataclass ``cls`` from ``data``; unknown keys and wrong types raise ConfigError naming the field."""
    data = dict(data or {})
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}")
    hints = typing.get_type_hints(cls)
    for name, value in data.items():  # a partial nested section keeps the default's other fields
        default = _default_of(fields[name])
        if isinstance(value, dict) and dataclasses.is_dataclass(default):
            data[name] = merge_nested(config_to_dict(default), value)
    kwargs = {name: _coerce(hints[name], value, f"{where}.{name}") for name, value in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def merge_nested(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` on top, nested mappings merged key by key rather than replaced."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_nested(merged[key], value)
        else:
            merged[key] = value
    return merged


def _default_of(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None


_FLOAT_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _coerce(hint: Any, value: Any, where: str) -> Any:
    """Convert a JSON/YAML value to the annotated type (nested dataclasses, tuples, floats from ints)."""
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return config_from_dict(hint, value, where)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value, where) if len(args) == 1 else value
    if origin is tuple and isinstance(value, list):
        return tuple(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str) and _FLOAT_TEXT.fullmatch(value.strip()):
        return float(value)  # YAML 1.1 reads 2e-4 (no dot) as a string
    if hint in (int, float, str, bool) and not isinstance(value, hint):
        raise ConfigError(f"{where}: expected {hint.__name__}, got {type(value).__name__} {value!r}")
    return value


def config_to_dict(config: Any) -> dict[str, Any]:
    """JSON-serialisable dict of a dataclass config."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or YAML mapping from ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"config file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping, not {type(data).__name__}")
    return data


def load_config_source(source: str) -> dict[str, Any]:
    """A run config given as ``source``: an inline JSON object (text starting with ``{``: how the cluster's
    pipelines get a LogDetector's ``spec.training.config`` without a file on a shared volume) or a file path."""
    if not source.lstrip().startswith("{"):
        return load_config_file(source)
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"inline config is not a valid JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"inline config must be a JSON object, not {type(data).__name__}")
    return data


def apply_overrides(data: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    """``data`` with ``KEY=VALUE`` assignments applied: dotted keys reach into nested mappings, values are YAML
    (``detector.skip_stages=[all]``, ``seed=3``, ``detector.encoder=bert-base-uncased``)."""
    result = json.loads(json.dumps(data))
    for assignment in assignments:
        key, sep, text = assignment.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE, e.g. detector.lr=0.001")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {assignment!r}: the value is not valid YAML ({exc})") from None
        *parents, leaf = key.strip().split(".")
        target = result
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ConfigError(f"--set {assignment!r}: {part!r} is not a mapping")
        target[leaf] = value
    return result


def require_positive(config: Any, names: tuple[str, ...]) -> None:
    """ValueError naming the first of ``names`` whose value on ``config`` is below 1 (counts, sizes, epochs)."""
    for name in names:
        if getattr(config, name) < 1:
            raise ValueError(f"{name} must be at least 1, not {getattr(config, name)}")


def require_range(
    name: str, value: float, low: float = 0.0, high: float = 1.0, low_open: bool = False, high_open: bool = False
) -> None:
    """ValueError unless ``value`` lies between ``low`` and ``high`` (each end open or closed as given)."""
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        bounds = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {bounds}, not {value}")
