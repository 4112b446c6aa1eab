"""The contract every registered detector keeps, one parametrised test per clause (like peft's shared testers).

The detector names come from the registry, so a new detector is covered as soon as it registers; its tiny config
comes from the `tiny_detector_config` fixture (tests/conftest.py), and a detector without one fails loudly. Each
detector is trained once on a few dozen toy windows, saved as a real artifact (`save_artifact`) and loaded back
(`load_artifact`), as training writes and serving reads it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cycle_logs import one_thread  # noqa: F401 - autouse: tiny models gain nothing from threads

from logad.artifact import LoadedModel, Manifest, load_artifact, save_artifact
from logad.config import config_to_dict
from logad.data.types import LogSequence
from logad.detectors import FitContext, get_detector_class
from logad.detectors.base import Detector, NotFittedError
from logad.detectors.registry import available_detectors, detector_capabilities
from logad.errors import LogadError
from logad.jobs.train import detector_config_for
from logad.parsing.preprocessor import Preprocessor

DETECTORS = available_detectors()
NORMAL = ["open file f{n}", "read 4096 bytes from f{n}", "close file f{n}"]
ANOMALOUS = ["open file f{n}", "write failed on f{n} with error 5", "close file f{n}"]
# Saving keeps the weights bit for bit and the loaded model runs the same operations on the same batches: on CPU the
# loaded scores equal the fitted ones exactly (measured: max difference 0.0 for all five detectors). The tolerance
# only admits a couple of float32 ULPs (eps 1.2e-7; scores reach ~6.5 for bertloganom's distances) should a kernel
# reorder a reduction, e.g. under another thread count; a lost, re-initialised or re-quantised weight moves the
# scores by orders of magnitude more.
SCORES = {"rtol": 1e-6, "atol": 1e-7}


def _windows(count: int, anomaly_every: int, offset: int = 0) -> list[LogSequence]:
    """Sessions of 3-9 events; every ``anomaly_every``-th one writes instead of reading (label 1)."""
    windows = []
    for n in range(offset, offset + count):
        bad = n % anomaly_every == 0
        messages = [m.format(n=n) for m in (ANOMALOUS if bad else NORMAL)] * (1 + n % 3)
        timestamps = [float(k) for k in range(len(messages))]
        windows.append(LogSequence(f"w{n}", messages, timestamps, int(bad), n))
    return windows


@dataclass
class Trained:
    """A detector fitted on toy windows and the same model loaded back from the artifact it saved."""

    fitted_scores: np.ndarray
    loaded: LoadedModel
    artifact: Path
    windows: list[LogSequence]


def _train(name: str, config: dict[str, Any], work: Path) -> Trained:
    """Fit ``name`` as `logad train` does (preset under overrides, normal windows only when unsupervised), score
    held-out windows, save an artifact, release the fitted model (LogSentry's knowledge base admits one client)
    and load the artifact back."""
    cls = get_detector_class(name)
    detector_config = detector_config_for(cls, config.get("preset"), config.get("detector", {}), seed=0)
    train, validation = _windows(32, 4), _windows(8, 4, offset=100)
    if not cls.supervised:
        train = [seq for seq in train if seq.label == 0]
    preprocessor = Preprocessor()
    preprocessor.fit(msg for seq in train for msg in seq.messages)
    detector: Detector = cls(detector_config, preprocessor)
    detector.fit(train, validation, FitContext(work, show_progress=False, model_version="contract-v1"))
    windows = [*_windows(11, 3, offset=500), LogSequence("unseen", ["kernel panic on f9", "close file f9"], [0.0, 1.0])]
    fitted_scores = detector.score(windows)
    manifest = Manifest(name, "contract-v1", {}, config_to_dict(detector_config), {"value": 0.5})
    save_artifact(work, manifest, detector)
    detector.close()
    return Trained(fitted_scores, load_artifact(work), work, windows)


@pytest.fixture(scope="module")
def trained(
    tiny_detector_config: Callable[[str], dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Trained]]:
    """``name -> Trained``, each detector trained on first use and once per module."""
    cache: dict[str, Trained] = {}

    def get(name: str) -> Trained:
        if name not in cache:
            cache[name] = _train(name, tiny_detector_config(name), tmp_path_factory.mktemp(f"contract-{name}"))
        return cache[name]

    yield get
    for run in cache.values():
        run.loaded.detector.close()


@pytest.mark.parametrize("name", DETECTORS)
def test_scores_are_finite_per_window_and_survive_save_and_load(name: str, trained: Callable[[str], Trained]) -> None:
    run = trained(name)
    assert run.loaded.manifest.detector == name and type(run.loaded.detector) is get_detector_class(name)
    assert run.fitted_scores.shape == (len(run.windows),) and run.fitted_scores.dtype.kind == "f"
    assert np.isfinite(run.fitted_scores).all()
    if get_detector_class(name).scores_are_probabilities:
        assert ((run.fitted_scores >= 0) & (run.fitted_scores <= 1)).all()
    loaded_scores = run.loaded.detector.score(run.windows)
    assert loaded_scores.shape == run.fitted_scores.shape
    np.testing.assert_allclose(loaded_scores, run.fitted_scores, **SCORES)
    assert run.loaded.detector.score([]).shape == (0,)


@pytest.mark.parametrize("name", DETECTORS)
def test_explain_gives_one_json_object_per_window(name: str, trained: Callable[[str], Trained]) -> None:
    run = trained(name)
    explanations = run.loaded.detector.explain(run.windows)
    assert len(explanations) == len(run.windows) and all(isinstance(e, dict) for e in explanations)
    json.dumps(explanations)  # serving sends them as JSON: no numpy scalars or arrays
    if type(run.loaded.detector).explain is not Detector.explain:  # a detector of its own says something per window
        assert all(explanations)
    assert run.loaded.detector.explain([]) == []


@pytest.mark.parametrize("name", DETECTORS)
def test_an_untrained_detector_says_so_instead_of_failing_inside(name: str, tmp_path: Path) -> None:
    cls = get_detector_class(name)
    detector = cls(cls.config_class(), Preprocessor())
    window = [LogSequence("w", ["open file a", "close file a"])]
    with pytest.raises(NotFittedError, match=f"the {name} detector is not trained or loaded") as raised:
        detector.score(window)
    assert isinstance(raised.value, LogadError)  # the CLI prints it as one line
    with pytest.raises(NotFittedError):
        detector.save(tmp_path)
    if cls.explain is not Detector.explain:
        with pytest.raises(NotFittedError):
            detector.explain(window)


@pytest.mark.parametrize("name", DETECTORS)
def test_the_kserve_predictor_serves_the_artifact_with_the_same_scores(
    name: str, trained: Callable[[str], Trained]
) -> None:
    """The real predictor class, in process, on this artifact (tests/serving runs it behind real servers)."""
    from logad_serving.predictor import DetectorPredictor

    run = trained(name)
    run.loaded.detector.close()  # the predictor loads its own copy (one knowledge-base client at a time)
    predictor = DetectorPredictor(name, run.artifact)
    try:
        assert predictor.load() and predictor.ready
        instances = [{"id": w.id, "messages": w.messages, "timestamps": w.timestamps} for w in run.windows]
        response = asyncio.run(predictor.predict({"instances": instances, "explain": True}))
    finally:
        predictor.stop()
    predictions = response["predictions"]
    assert [p["id"] for p in predictions] == [w.id for w in run.windows]
    np.testing.assert_allclose([p["score"] for p in predictions], run.fitted_scores, **SCORES)
    assert all(isinstance(p["explanation"], dict) for p in predictions)


@pytest.mark.parametrize("name", DETECTORS)
def test_concurrent_tenants_share_a_model_call_unless_their_scores_are_their_own(
    name: str, trained: Callable[[str], Trained]
) -> None:
    """The predictor's dynamic batching mixes tenants' windows into one model call, except for a detector whose
    scores read per-tenant state (a knowledge base, feedback); each tenant gets the scores of its own call."""
    from logad_serving.predictor import DetectorPredictor
    from logad_serving.tenancy import TENANT_HEADER

    run = trained(name)
    run.loaded.detector.close()
    predictor = DetectorPredictor(name, run.artifact)
    instances = [{"id": w.id, "messages": w.messages, "timestamps": w.timestamps} for w in run.windows]

    async def two_tenants() -> list[dict[str, Any]]:
        requests = [predictor.predict({"instances": instances}, {TENANT_HEADER: t}) for t in ("team-a", "team-b")]
        return await asyncio.gather(*requests)

    try:
        assert predictor.load()
        detector = predictor.model.detector
        calls: list[str] = []
        score_tenant = detector.score_tenant
        detector.score_tenant = lambda windows, tenant: calls.append(tenant) or score_tenant(windows, tenant)
        answers = asyncio.run(two_tenants())
        alone = {tenant: score_tenant(run.windows, tenant) for tenant in ("team-a", "team-b")}
    finally:
        predictor.stop()
    per_tenant = get_detector_class(name).learns_from_feedback or detector_capabilities(name).knowledge_base
    assert len(calls) == (2 if per_tenant else 1)
    for answer, tenant in zip(answers, ("team-a", "team-b"), strict=True):
        np.testing.assert_allclose([p["score"] for p in answer["predictions"]], alone[tenant], **SCORES)


def test_a_detector_without_a_tiny_config_fails_loudly(tiny_detector_config: Callable[[str], dict[str, Any]]) -> None:
    with pytest.raises(pytest.fail.Exception, match="'newcomer' has no tiny test config"):
        tiny_detector_config("newcomer")
