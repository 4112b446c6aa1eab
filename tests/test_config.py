"""The one config style: strict dataclass loading from dicts, JSON and YAML."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from logad.config import config_from_dict, config_to_dict, load_config_file
from logad.errors import ConfigError


@dataclass
class Inner:
    depth: int = 4
    ratio: float = 0.5


@dataclass
class Outer:
    name: str = "x"
    inner: Inner = field(default_factory=Inner)
    sizes: tuple[int, ...] = (1, 2)
    limit: int | None = None


def test_nested_dataclass_and_coercions():
    cfg = config_from_dict(Outer, {"inner": {"ratio": 1}, "sizes": [3, 4], "limit": 7})
    assert cfg.inner == Inner(depth=4, ratio=1.0) and isinstance(cfg.inner.ratio, float)
    assert cfg.sizes == (3, 4) and cfg.limit == 7
    assert config_to_dict(cfg) == {
        "name": "x",
        "inner": {"depth": 4, "ratio": 1.0},
        "sizes": [3, 4],
        "limit": 7,
    }


def test_unknown_field_is_named():
    with pytest.raises(ConfigError, match=r"config\.inner: unknown field\(s\) dpeth"):
        config_from_dict(Outer, {"inner": {"dpeth": 3}})


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"config\.inner\.depth: expected int, got str"):
        config_from_dict(Outer, {"inner": {"depth": "four"}})


def test_yaml_and_json_files(tmp_path):
    (tmp_path / "a.yaml").write_text("name: y\ninner:\n  depth: 2\n")
    (tmp_path / "b.json").write_text('{"name": "z"}')
    assert config_from_dict(Outer, load_config_file(tmp_path / "a.yaml")).inner.depth == 2
    assert load_config_file(tmp_path / "b.json") == {"name": "z"}


@pytest.mark.parametrize(
    ("text", "message"),
    [("[1, 2]", "must hold a mapping"), ("a: [1,", "not valid YAML")],
)
def test_bad_config_files(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config_file(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config_file(tmp_path / "nope.yaml")
