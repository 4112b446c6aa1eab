"""LogSentry end to end on a tiny BERT: training, fused scoring, the knowledge base, save/load, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from logad.data.types import LogSequence
from logad.detectors import FitContext
from logad.detectors.logsentry import LogSentryConfig, LogSentryDetector
from logad.errors import BadInputError, ConfigError
from logad.jobs.train import detector_config_for
from logad.kb import KBVersionError
from logad.parsing.preprocessor import Preprocessor

NORMAL = ["open file f{n}", "read 4096 bytes from f{n}", "close file f{n}"]
ANOMALOUS = ["open file f{n}", "write failed on f{n} with error 5", "close file f{n}"]


def _windows(count: int, anomaly_every: int, offset: int = 0) -> list[LogSequence]:
    windows = []
    for n in range(offset, offset + count):
        bad = n % anomaly_every == 0
        messages = [m.format(n=n) for m in (ANOMALOUS if bad else NORMAL)] * (1 + n % 3)
        windows.append(LogSequence(id=f"w{n}", messages=messages, label=int(bad), order=n))
    return windows


def _config(encoder: Path, **overrides) -> LogSentryConfig:
    settings = dict(
        encoder=str(encoder),
        max_tokens=64,
        pretrain_epochs=1,
        pretrain_batch_size=8,
        finetune_epochs=4,
        finetune_batch_size=8,
        lr=2e-3,
        k=5,
        head_hidden=16,
    )
    return LogSentryConfig(**(settings | overrides))


@pytest.fixture(scope="module")
def preprocessor() -> Preprocessor:
    pre = Preprocessor()
    pre.fit(msg for seq in _windows(60, 5) for msg in seq.messages)
    return pre


@pytest.fixture(scope="module")
def trained(tiny_bert_dir, preprocessor, tmp_path_factory):
    work = tmp_path_factory.mktemp("logsentry")
    detector = LogSentryDetector(_config(tiny_bert_dir), preprocessor)
    detector.fit(_windows(60, 5), [], FitContext(work_dir=work, show_progress=False, model_version="v1"))
    (work / "model").mkdir(exist_ok=True)
    detector.save(work / "model")
    yield detector, work / "model"
    detector.close()


def test_training_runs_both_stages_and_scores_separate_classes(trained):
    detector, _ = trained
    assert [h.stage for h in detector.history] == ["pretrain"] + ["finetune"] * 4
    test = _windows(20, 4, offset=1000)
    scores = detector.score(test)
    labels = np.array([seq.label for seq in test])
    assert scores.shape == (20,) and np.all((scores >= 0) & (scores <= 1))
    assert scores[labels == 1].min() > scores[labels == 0].max()


def test_retrieval_vote_comes_from_the_knowledge_base(trained):
    detector, _ = trained
    parts = detector.score_components(_windows(8, 4, offset=2000), "default", k=5)
    labels = np.array([seq.label for seq in _windows(8, 4, offset=2000)])
    assert np.all(parts["p_knn"][labels == 1] > 0.5) and np.all(parts["p_knn"][labels == 0] < 0.5)
    expected = 0.68 * parts["p_model"] + 0.32 * parts["p_knn"]
    assert np.allclose(detector.score(_windows(8, 4, offset=2000)), expected)
    # 60 windows, 6 distinct texts after masking (2 kinds x 1-3 repeats): one row per text, counting its windows
    assert detector.knowledge_base().count("default") == 6 and detector.knowledge_base().windows("default") == 60
    explanation = detector.explain(_windows(1, 4, offset=2000))[0]
    assert explanation["neighbours"][0]["label"] == 1 and explanation["neighbours"][0]["similarity"] > 0.99


def test_tenants_only_see_their_own_rows(trained):
    detector, _ = trained
    test = _windows(8, 4, offset=3000)
    # Tenant "flipped" stores the same windows with inverted labels: its vote must invert, default's must not.
    flipped = [LogSequence(s.id, s.messages, label=1 - s.label) for s in _windows(60, 5)]
    assert detector.add_to_knowledge_base(flipped, "flipped", "test") == 6
    default = detector.score_components(test, "default", 5)["p_knn"]
    inverted = detector.score_components(test, "flipped", 5)["p_knn"]
    assert np.allclose(default, 1 - inverted, atol=1e-6)
    assert np.all(np.isnan(detector.score_components(test, "nobody", 5)["p_knn"]))
    assert np.allclose(detector.score_tenant(test, "nobody"), detector.score_components(test, "nobody", 0)["p_model"])
    assert detector.add_to_knowledge_base(flipped, "flipped", "test") == 6  # writing a source again replaces it
    assert detector.knowledge_base().count("flipped") == 6
    detector.knowledge_base().drop_tenant("flipped")
    assert detector.knowledge_base().count("default") == 6


def test_feedback_becomes_a_row_of_its_tenant_that_the_next_vote_sees(trained):
    detector, _ = trained
    window = _windows(1, 4, offset=5000)[0]  # anomalous text: the training tenant's rows vote for it
    copy = LogSequence("same-text", window.messages)
    default_before = detector.explain([window, copy])
    assert np.isnan(detector.score_components([window], "acme", 5)["p_knn"]).all()  # acme has no rows yet

    for label in (0, 1, 0):  # a verdict, a changed mind, and back: each replaces the window's row
        assert detector.learn_feedback([LogSequence(window.id, window.messages, label=label)], "acme") == 1
        explained = detector.explain_tenant([window, copy], "acme")
        assert [e["p_knn"] for e in explained] == [float(label)] * 2
        assert [e["neighbours"][0]["id"] for e in explained] == [window.id] * 2
        assert explained[0]["neighbours"][0]["label"] == label and explained[0]["neighbours"][0]["similarity"] > 0.99
    assert detector.knowledge_base().count("acme") == 1
    assert detector.explain([window, copy]) == default_before  # the training tenant's votes did not move
    assert np.isnan(detector.score_components([window], "globex", 5)["p_knn"]).all()
    with pytest.raises(BadInputError, match="label of 0 or 1"):
        detector.learn_feedback([LogSequence("unlabelled", window.messages)], "acme")
    detector.knowledge_base().drop_tenant("acme")


def test_rows_less_similar_than_the_floor_do_not_vote(trained):
    detector, _ = trained
    judged = _windows(1, 4, offset=6000)[0]
    detector.learn_feedback([LogSequence(judged.id, judged.messages, label=1)], "acme")
    other = LogSequence("other", ["totally different text about disks", "and quotas"])
    found = detector.knowledge_base().search("acme", detector.embeddings_of([judged, other]), 1).similarities[:, 0]
    # between the judged text's own similarity (1 only up to the batch's float rounding) and the other text's
    floor = float(found[0] + found[1]) / 2
    assert found[1] < floor < found[0], "the test needs the other text to be less similar than the judged one"
    try:
        detector.config = replace(detector.config, knn_min_similarity=floor)
        parts = detector.score_components([judged, other], "acme", 5)
        assert parts["p_knn"][0] == 1.0 and np.isnan(parts["p_knn"][1])  # no voter left: the classifier alone
        assert detector.score_tenant([other], "acme")[0] == pytest.approx(parts["p_model"][1])
        assert detector.explain_tenant([other], "acme")[0]["neighbours"] == []
        detector.config = replace(detector.config, knn_min_similarity=None)
        assert detector.score_components([other], "acme", 5)["p_knn"][0] == 1.0  # the lone row decides everything
    finally:
        detector.config = replace(detector.config, knn_min_similarity=LogSentryConfig.knn_min_similarity)
        detector.knowledge_base().drop_tenant("acme")


def test_save_load_round_trip_and_restart_from_another_process(trained, preprocessor):
    detector, model_dir = trained
    test = _windows(12, 4, offset=4000)
    expected = detector.score(test)
    detector.close()  # milvus-lite: one process per database
    script = (
        "import sys, json; from pathlib import Path; import numpy as np\n"
        "from logad.parsing.preprocessor import Preprocessor\n"
        "from logad.config import config_from_dict\n"
        "from logad.detectors.logsentry import LogSentryConfig, LogSentryDetector\n"
        "from logad.data.types import LogSequence\n"
        "cfg = config_from_dict(LogSentryConfig, json.loads(sys.argv[2]))\n"
        "pre = Preprocessor.load(Path(sys.argv[3]))\n"
        "det = LogSentryDetector.load(Path(sys.argv[1]), cfg, pre)\n"
        "wins = [LogSequence(**w) for w in json.loads(sys.argv[4])]\n"
        "print(json.dumps(det.score(wins).tolist())); det.close()\n"
    )
    pre_dir = model_dir.parent / "preprocess"
    preprocessor.save(pre_dir)
    windows = json.dumps([{"id": s.id, "messages": s.messages, "label": s.label} for s in test])
    config = json.dumps(
        {k: v for k, v in detector.config.__dict__.items() if k != "kb"}
        | {"cutoff_kinds": list(detector.config.cutoff_kinds)}
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(model_dir), config, str(pre_dir), windows],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert np.allclose(json.loads(result.stdout.strip().splitlines()[-1]), expected, atol=1e-5)


def test_a_loaded_model_scores_its_training_texts_from_warm_caches_without_running_the_encoders(trained, preprocessor):
    detector, model_dir = trained
    train = _windows(60, 5)
    expected = detector.score(train)
    detector.close()
    loaded = LogSentryDetector.load(model_dir, detector.config, preprocessor)
    assert len(loaded._warm_texts) == loaded.distinct_texts(train)

    def no_forward(*_args, **_kwargs):
        raise AssertionError("a warm text was encoded again")

    loaded.classifier.forward = no_forward
    loaded.retrieval_encoder.forward = no_forward
    np.testing.assert_allclose(loaded.score(train), expected, atol=1e-6)
    with pytest.raises(AssertionError, match="encoded again"):
        loaded.score([LogSequence(id="new", messages=NORMAL[:2] * 5)])  # a text not seen in training is encoded
    loaded.close()


def test_a_knowledge_base_of_another_model_version_is_refused(trained, preprocessor):
    detector, model_dir = trained
    detector.close()
    state = json.loads((model_dir / "logsentry.json").read_text())
    state["knowledge_base"]["model_version"] = "v2"
    other = LogSentryDetector.load(model_dir, detector.config, preprocessor)
    other.kb_ref.model_version = "v2"
    with pytest.raises(KBVersionError, match="v1"):
        other.score(_windows(2, 4))
    other.close()


def test_few_label_training_keeps_both_classes_and_uses_fewer_windows(tiny_bert_dir, preprocessor, tmp_path):
    detector = LogSentryDetector(
        _config(tiny_bert_dir, label_fraction=0.1, pretrain_epochs=0, beta=1.0, finetune_epochs=1), preprocessor
    )
    detector.fit(_windows(100, 5), [], FitContext(work_dir=tmp_path, show_progress=False))
    assert detector.history[0].examples == 2 + 8  # 10% of 20 anomalous and of 80 normal windows
    assert detector.kb_ref is None  # beta 1.0: no retrieval, no knowledge base


def test_bad_input_and_config_give_clear_errors(tiny_bert_dir, preprocessor, tmp_path):
    detector = LogSentryDetector(_config(tiny_bert_dir), preprocessor)
    only_normal = [seq for seq in _windows(20, 5) if seq.label == 0]
    with pytest.raises(BadInputError, match="normal and anomalous"):
        detector.fit(only_normal, [], FitContext(work_dir=tmp_path, show_progress=False))
    with pytest.raises(ConfigError, match="cannot load encoder"):
        LogSentryDetector(_config(tmp_path / "missing"), preprocessor).fit(
            _windows(10, 5), [], FitContext(work_dir=tmp_path, show_progress=False)
        )
    with pytest.raises(ValueError, match="beta"):
        _config(tiny_bert_dir, beta=1.5)
    with pytest.raises(ValueError, match="knn_min_similarity"):
        _config(tiny_bert_dir, knn_min_similarity=float("nan"))
    with pytest.raises(ConfigError, match="no preset 'gpu'"):
        detector_config_for(LogSentryDetector, "gpu", {})
    assert detector_config_for(LogSentryDetector, "cpu", {"k": 7}).k == 7
    assert detector_config_for(LogSentryDetector, "cpu", {}).train_on_distinct
