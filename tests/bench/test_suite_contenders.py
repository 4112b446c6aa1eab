"""The suite's contenders (choosing a subset, their training configs, supervised or not) and drift stream families."""

from __future__ import annotations

import pytest

from logad.bench.suite.contenders import CONTENDERS, Contender, select_contenders
from logad.bench.suite.run import DRIFT_STREAMS, drift_streams
from logad.errors import ConfigError


def test_select_contenders_by_name_or_detector_in_suite_order():
    assert select_contenders(None) == list(CONTENDERS) == select_contenders(" ")
    assert [c.name for c in select_contenders("baseline")] == [
        "decision-tree",
        "logistic-regression",
        "linear-svc",
        "pca",
        "isolation-forest",
    ]
    assert [c.name for c in select_contenders("logsentry, decision-tree,deeplog")] == [
        "decision-tree",
        "deeplog",
        "logsentry",
    ]
    with pytest.raises(ConfigError, match=r"unknown contender.*nope"):
        select_contenders("deeplog,nope")


def test_train_config_uses_the_preset_where_the_detector_has_presets_and_the_seed_everywhere():
    tree, deeplog = (next(c for c in CONTENDERS if c.name == name) for name in ("decision-tree", "deeplog"))
    config = tree.train_config("cpu", 7)
    assert config.preset is None and config.seed == 7
    assert config.detector == {"model": "decision_tree", "seed": 7}
    assert deeplog.train_config("cpu", 3).preset == "cpu" and deeplog.train_config("cpu", 3).detector == {"seed": 3}


def test_supervised_follows_the_detector_and_the_baseline_model():
    supervised = {c.name: c.supervised for c in CONTENDERS if c.detector in ("baseline", "deeplog", "logsentry")}
    assert supervised == {
        "decision-tree": True,
        "logistic-regression": True,
        "linear-svc": True,
        "pca": False,
        "isolation-forest": False,
        "deeplog": False,
        "logsentry": True,
    }
    assert Contender("x", "logsentry").has_config_field("label_fraction")
    assert not Contender("x", "baseline").has_config_field("label_fraction")


def test_drift_streams_are_chosen_by_family_and_unknown_ones_are_named():
    assert drift_streams("real") == ("real",)
    assert drift_streams(" synthetic , real ") == DRIFT_STREAMS
    with pytest.raises(ConfigError, match=r"--streams 'real,replayed'.*unknown: \['replayed'\]"):
        drift_streams("real,replayed")
    with pytest.raises(ConfigError, match="choose from synthetic, real"):
        drift_streams(",")
