"""The baseline detector: every model separates a learnable toy set, round-trips and rejects bad use."""

from __future__ import annotations

import numpy as np
import pytest

from logad.data.types import LogSequence
from logad.detectors import FitContext, get_detector_class
from logad.detectors.baseline import BaselineConfig, BaselineDetector
from logad.errors import BadInputError, ConfigError
from logad.parsing.preprocessor import Preprocessor

NORMAL = ["open file f{n}", "read 4096 bytes from f{n}", "close file f{n}"]
ANOMALOUS = ["open file f{n}", "write failed on f{n} with error 5", "close file f{n}"]


def _windows(count: int, anomaly_every: int) -> list[LogSequence]:
    windows = []
    for n in range(count):
        bad = n % anomaly_every == 0
        messages = [m.format(n=n) for m in (ANOMALOUS if bad else NORMAL)]
        windows.append(LogSequence(id=f"w{n}", messages=messages * (1 + n % 3), label=int(bad), order=n))
    return windows


@pytest.fixture(scope="module")
def fitted_preprocessor() -> Preprocessor:
    pre = Preprocessor()
    pre.fit(msg for seq in _windows(60, 5) for msg in seq.messages)
    return pre


@pytest.mark.parametrize("model", ["decision_tree", "logistic_regression", "linear_svc"])
def test_supervised_models_separate_classes(model, fitted_preprocessor):
    detector = BaselineDetector(BaselineConfig(model=model), fitted_preprocessor)
    detector.fit(_windows(60, 5), [], FitContext(show_progress=False))
    test = _windows(20, 4)
    scores = detector.score(test)
    labels = np.array([seq.label for seq in test])
    assert scores[labels == 1].min() > scores[labels == 0].max()


@pytest.mark.parametrize("model", ["pca", "isolation_forest"])
def test_unsupervised_models_rank_unseen_events_higher(model, fitted_preprocessor):
    normal_only = [seq for seq in _windows(60, 5) if seq.label == 0]
    detector = BaselineDetector(BaselineConfig(model=model, normalization="zero-mean"), fitted_preprocessor)
    assert not detector.supervised
    detector.fit(normal_only, [], FitContext(show_progress=False))
    test = _windows(20, 4)
    scores = detector.score(test)
    labels = np.array([seq.label for seq in test])
    assert scores[labels == 1].mean() > scores[labels == 0].mean()


def test_save_load_round_trip(tmp_path, fitted_preprocessor):
    config = BaselineConfig(model="logistic_regression", term_weighting="tf-idf")
    detector = BaselineDetector(config, fitted_preprocessor)
    detector.fit(_windows(60, 5), [], FitContext(show_progress=False))
    detector.save(tmp_path)
    loaded = BaselineDetector.load(tmp_path, config, fitted_preprocessor)
    test = _windows(10, 3)
    np.testing.assert_array_equal(detector.score(test), loaded.score(test))


def test_supervised_model_needs_both_classes(fitted_preprocessor):
    detector = BaselineDetector(BaselineConfig(), fitted_preprocessor)
    normal_only = [seq for seq in _windows(30, 5) if seq.label == 0]
    with pytest.raises(BadInputError, match="needs both normal and anomalous"):
        detector.fit(normal_only, [], FitContext(show_progress=False))


def test_registry_and_config_validation():
    assert get_detector_class("baseline") is BaselineDetector
    with pytest.raises(ConfigError, match="unknown detector 'nope'"):
        get_detector_class("nope")
    with pytest.raises(ValueError, match="model must be one of"):
        BaselineConfig(model="svm")
