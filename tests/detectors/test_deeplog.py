"""DeepLog: log keys and pairs, learning a cycle, unseen templates, explanations, persistence, config, CLI."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from cycle_logs import CYCLE, cycle_window, one_thread  # noqa: F401 - one_thread is an autouse fixture
from sklearn.metrics import roc_auc_score

from logad.cli import main
from logad.data.types import LogSequence
from logad.detectors import FitContext, get_detector_class
from logad.detectors.deeplog import PRESETS, DeepLogConfig, DeepLogDetector
from logad.detectors.deeplog.inference import miss_fraction, missed_events
from logad.detectors.deeplog.keys import count_pairs, histories
from logad.errors import BadInputError
from logad.parsing.preprocessor import UNKNOWN_ID

QUIET = FitContext(show_progress=False)


def _window(n: int, templates: list[int], label: int = 0) -> LogSequence:
    return cycle_window(n, templates, label)


def _normal(n: int) -> LogSequence:
    start, length = n % CYCLE, 3 + n % 13
    return _window(n, [(start + k) % CYCLE for k in range(length)])


def _shuffled(n: int) -> LogSequence:
    rng = np.random.default_rng(n)
    return _window(n, [int(t) for t in rng.integers(0, CYCLE, size=14)], label=1)


def _config(**overrides) -> DeepLogConfig:
    return DeepLogConfig(**{**PRESETS["tiny"], "top_g": 1, "epochs": 150, **overrides})


@pytest.fixture(scope="module")
def train() -> list[LogSequence]:
    return [_normal(n) for n in range(150)]


@pytest.fixture(scope="module")
def fitted(preprocessor, train) -> DeepLogDetector:
    detector = DeepLogDetector(_config(), preprocessor)
    validation = [_normal(n) for n in range(300, 330)] + [_shuffled(n) for n in range(3)]
    detector.fit(train, validation, QUIET)
    return detector


def test_histories_are_left_padded_and_pairs_weighted_by_count():
    assert histories((5, 6, 7), 2, pad=9) == [(9, 5), (5, 6)]
    assert histories((5,), 2, pad=9) == [] and histories((), 2, pad=9) == []
    pairs = count_pairs([(1, 2, 1, 2), (1, 2, 1, 2), (1, 2)], 2, pad=9, distinct_only=False)
    found = {
        (tuple(h), int(t)): float(w)
        for h, t, w in zip(pairs.histories.tolist(), pairs.targets, pairs.weights, strict=True)
    }
    assert found == {((9, 1), 2): 3.0, ((1, 2), 1): 2.0, ((2, 1), 2): 2.0}
    distinct = count_pairs([(1, 2, 1, 2), (1, 2, 1, 2), (1, 2)], 2, pad=9, distinct_only=True)
    assert distinct.weights.tolist() == [1.0, 1.0, 1.0] and torch.equal(distinct.histories, pairs.histories)
    assert len(count_pairs([(1,), ()], 2, pad=9, distinct_only=False)) == 0


def test_misses_count_unknown_keys_and_keys_outside_the_top_g():
    top = np.array([[2, 3], [3, 5], [4, 5]])
    assert missed_events((1, 2, 4, 0), top).tolist() == [False, False, True, True]
    assert miss_fraction((1, 2, 4, 0), np.array([False, False, True, True])) == pytest.approx(2 / 3)
    first_unknown = missed_events((UNKNOWN_ID, 2), np.array([[2]]))
    assert first_unknown.tolist() == [True, False] and miss_fraction((UNKNOWN_ID, 2), first_unknown) == 0.5
    assert miss_fraction((UNKNOWN_ID,), np.array([True])) == 1.0
    assert miss_fraction((3,), np.array([False])) == 0.0 and miss_fraction((), np.zeros(0, bool)) == 0.0


def test_learns_the_cycle_and_flags_foreign_orders(fitted):
    normal = [_normal(n) for n in range(500, 540)]
    foreign = [_shuffled(n) for n in range(20)]
    scores = fitted.score(normal + foreign)
    assert scores.dtype == np.float64 and scores.shape == (60,)
    assert scores[:40].max() < 0.05 and scores[40:].mean() > 0.5
    assert roc_auc_score([0] * 40 + [1] * 20, scores) == 1.0
    assert fitted.history and fitted.history[-1].loss < fitted.history[0].loss


def test_unseen_templates_always_miss_and_are_explained(fitted):
    templates = [k % CYCLE for k in range(12)]
    templates[6] = 8
    window = _window(900, templates, label=1)
    only_unseen, only_known = _window(901, [8]), _window(902, [3])
    scores = fitted.score([window, only_unseen, only_known])
    assert scores[0] > 0 and scores[1] == 1.0 and scores[2] == 0.0
    explanation = fitted.explain([window])[0]
    assert explanation["miss"] == pytest.approx(scores[0])
    unseen = [e for e in explanation["missed"] if e["template_id"] == UNKNOWN_ID]
    assert [e["index"] for e in unseen] == [6] and len(unseen[0]["predicted"]) == 1
    assert fitted.explain([only_unseen])[0]["missed"] == [{"index": 0, "template_id": 0, "predicted": []}]


def test_explain_lists_at_most_ten_misses_with_the_top_g(preprocessor, fitted):
    explanation = fitted.explain([_window(903, [8] * 15)])[0]
    assert explanation["miss"] == 1.0 and [e["index"] for e in explanation["missed"]] == list(range(10))
    assert fitted.explain([]) == []


def test_the_end_key_flags_a_closed_window_that_stops_early(preprocessor):
    whole = [_window(n, [k % CYCLE for k in range(12)]) for n in range(40)]
    detector = DeepLogDetector(_config(end_key=True), preprocessor)
    detector.fit(whole, [], QUIET)
    stopped = dataclasses.replace(whole[0], messages=whole[0].messages[:4], timestamps=None)
    still_open = dataclasses.replace(stopped, open=True)
    assert detector.score([whole[0], still_open]).tolist() == [0.0, 0.0]
    assert detector.score([stopped])[0] == pytest.approx(1 / 4)  # 3 events predicted, then the end that misses
    assert detector.explain([stopped])[0]["missed"] == [
        {"index": 4, "template_id": None, "predicted": [preprocessor.template_ids(whole[0].messages)[4]]}
    ]


def test_cached_scores_match_fresh_ones(fitted, preprocessor, tmp_path):
    windows = [_normal(n) for n in range(600, 620)] + [_shuffled(n) for n in range(40, 50)]
    first = fitted.score(windows[:12])
    both = fitted.score(windows)
    np.testing.assert_array_equal(first, both[:12])
    fitted.save(tmp_path)
    loaded = DeepLogDetector.load(tmp_path, fitted.config, preprocessor)
    np.testing.assert_array_equal(loaded.score(windows), both)
    assert loaded.vocab_size == fitted.vocab_size and loaded.history == fitted.history
    with pytest.raises(BadInputError, match="does not match"):
        DeepLogDetector.load(tmp_path, _config(hidden=8), preprocessor)


def test_same_seed_same_scores_and_resume_from_checkpoints(preprocessor, train, tmp_path):
    windows = [_normal(n) for n in range(700, 710)] + [_shuffled(n) for n in range(60, 70)]
    context = FitContext(show_progress=False, work_dir=tmp_path)
    runs = [DeepLogDetector(_config(epochs=5), preprocessor) for _ in range(3)]
    runs[0].fit(train, [], QUIET)
    for detector in runs[1:]:  # the second run finds the first one's last checkpoint and trains no further
        detector.fit(train, [], context)
    assert list((tmp_path / "checkpoints").glob("*/epoch-5.pt"))
    for detector in runs[1:]:
        np.testing.assert_array_equal(detector.score(windows), runs[0].score(windows))
    assert runs[2].history == runs[1].history


def test_needs_a_window_of_two_events(preprocessor, fitted):
    assert fitted.score([]).shape == (0,)
    with pytest.raises(BadInputError, match="two or more events"):
        DeepLogDetector(_config(), preprocessor).fit([_window(0, [1]), LogSequence("e", [])], [], QUIET)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"history_size": 0}, "history_size"),
        ({"top_g": 0}, "top_g"),
        ({"hidden": 0}, "hidden"),
        ({"epochs": 0}, "epochs"),
        ({"lr": 0.0}, "lr"),
        ({"patience": 0}, "patience"),
    ],
)
def test_bad_config_raises(overrides, message):
    with pytest.raises(ValueError, match=message):
        DeepLogConfig(**overrides)


def test_registry_paper_defaults_and_presets():
    assert get_detector_class("deeplog") is DeepLogDetector
    assert DeepLogDetector.presets is PRESETS and not DeepLogDetector.supervised
    paper = DeepLogConfig()
    assert (paper.history_size, paper.top_g, paper.layers, paper.hidden) == (10, 9, 2, 64)
    for overrides in PRESETS.values():
        DeepLogConfig(**overrides)


def test_cli_trains_a_tiny_model_that_evaluate_loads(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path / "synth"), "--blocks", "300", "--seed", "3"]) == 0
    data, model = tmp_path / "synth" / "tenant-0", tmp_path / "model"
    logs = ["--logs", str(data / "HDFS.log"), "--labels", str(data / "anomaly_label.csv")]
    train = ["train", "--detector", "deeplog", "--preset", "tiny", *logs, "--format", "hdfs", "--out", str(model)]
    assert main([*train, "--quiet"]) == 0
    manifest = json.loads((model / "logad.json").read_text())
    assert manifest["detector"] == "deeplog" and (model / "model" / "deeplog.pt").is_file()
    capsys.readouterr()
    assert main(["evaluate", "--model", str(model), *logs, "--split", "chrono:0.8", "--json", "--quiet"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n"] > 0 and 0.0 <= metrics["f1"] <= 1.0 and {"static", "ewma", "dtpm"} <= set(metrics["stream"])
