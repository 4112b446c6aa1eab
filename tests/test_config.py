"""The one config style: strict dataclass loading from dicts, JSON and YAML."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from logad.config import config_from_dict, config_to_dict, load_config_file, load_config_source, merge_nested
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


@dataclass
class Stage:
    lr: float
    epochs: int = 1


@dataclass
class Staged:
    warmup: Stage = field(default_factory=lambda: Stage(lr=0.1, epochs=3))


def test_a_partial_nested_section_keeps_the_defaults_other_fields():
    assert config_from_dict(Staged, {"warmup": {"epochs": 5}}).warmup == Stage(lr=0.1, epochs=5)


def test_preset_and_overrides_merge_nested_sections():
    from logad.detectors.logllm import LogLLMDetector
    from logad.jobs.train import detector_config_for

    config = detector_config_for(LogLLMDetector, "cpu", {"llm_stage": {"max_examples": 16}})
    assert config.llm_stage.max_examples == 16 and config.llm_stage.lr == 5e-4  # lr from the preset
    assert merge_nested({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"c": 4}}) == {"a": {"b": 1, "c": 4}, "d": 3}


def test_the_run_seed_seeds_the_detector_unless_its_config_sets_one():
    from logad.detectors.logsentry import LogSentryDetector
    from logad.jobs.train import detector_config_for

    assert detector_config_for(LogSentryDetector, "cpu", {}, seed=3).seed == 3
    assert detector_config_for(LogSentryDetector, None, {"seed": 5}, seed=3).seed == 5
    assert detector_config_for(LogSentryDetector, "cpu", {}).seed == 0


def test_unknown_field_is_named():
    with pytest.raises(ConfigError, match=r"config\.inner: unknown field\(s\) dpeth"):
        config_from_dict(Outer, {"inner": {"dpeth": 3}})


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"config\.inner\.depth: expected int, got str"):
        config_from_dict(Outer, {"inner": {"depth": "four"}})
    with pytest.raises(ConfigError, match=r"config\.inner\.ratio: expected float, got str 'half'"):
        config_from_dict(Outer, {"inner": {"ratio": "half"}})


def test_exponent_floats_that_yaml_reads_as_strings_are_floats():
    from logad.config import apply_overrides

    data = apply_overrides({}, ["inner.ratio=2e-4", "name=1e3"])  # YAML 1.1: "2e-4" has no dot, so a string
    assert data == {"inner": {"ratio": "2e-4"}, "name": "1e3"}
    cfg = config_from_dict(Outer, data)
    assert cfg.inner.ratio == 2e-4 and cfg.name == "1e3"  # only float fields convert


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


def test_a_config_source_is_a_file_or_an_inline_json_object(tmp_path):
    """How the cluster's runs get a LogDetector's config: inline, no file on another namespace's claim."""
    (tmp_path / "a.yaml").write_text("name: y\n")
    assert load_config_source(str(tmp_path / "a.yaml")) == {"name": "y"}
    assert load_config_source(' {"name": "z", "inner": {"depth": 2}}') == {"name": "z", "inner": {"depth": 2}}
    with pytest.raises(ConfigError, match="inline config is not a valid JSON object"):
        load_config_source('{"name": ')
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config_source("[1, 2]")  # not an object: read as a path
