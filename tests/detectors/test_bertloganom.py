"""BERT-LogAnom: inputs and masking, both losses, anomaly ranking, determinism, persistence, config checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from cycle_logs import CYCLE, cycle_window, one_thread  # noqa: F401 - one_thread is an autouse fixture
from sklearn.metrics import roc_auc_score

from logad.data.types import LogSequence
from logad.detectors import FitContext, get_detector_class
from logad.detectors.bertloganom import PRESETS, BertLogAnomConfig, BertLogAnomDetector
from logad.detectors.bertloganom.inference import inspect
from logad.detectors.bertloganom.inputs import CLS, NUM_SPECIAL, PAD, batches, collate, encode, event_order, gap_bucket
from logad.detectors.bertloganom.losses import CENTRE_EPS, random_mask, round_mask, update_centre
from logad.detectors.bertloganom.model import BertLogAnomModel
from logad.detectors.bertloganom.training import MaskedKeyPredictor, masked_forward, train_model
from logad.errors import BadInputError

QUIET = FitContext(show_progress=False)


def _window(n: int, templates: list[int], label: int = 0) -> LogSequence:
    return cycle_window(n, templates, label, gap=10.0)


def _normal(n: int) -> LogSequence:
    start, length = n % CYCLE, 12 + n % 7
    return _window(n, [(start + k) % CYCLE for k in range(length)])


def _anomalous(n: int) -> LogSequence:
    templates = [(n + k) % CYCLE for k in range(14)]
    if n % 2:
        templates[5:9] = [8, 8, 8, 8]
    else:
        templates = list(np.random.default_rng(n).permutation(templates))
    return _window(n, templates, label=1)


def _config(**overrides) -> BertLogAnomConfig:
    return BertLogAnomConfig(**{**PRESETS["tiny"], "top_g": 2, **overrides})


@pytest.fixture(scope="module")
def train() -> list[LogSequence]:
    return [_normal(n) for n in range(120)]


@pytest.fixture(scope="module")
def test_windows() -> list[LogSequence]:
    return [_normal(n) for n in range(500, 530)] + [_anomalous(n) for n in range(10)]


@pytest.fixture(scope="module")
def fitted(preprocessor, train) -> BertLogAnomDetector:
    detector = BertLogAnomDetector(_config(epochs=12), preprocessor)
    validation = [_normal(n) for n in range(300, 320)] + [_anomalous(n) for n in range(3)]
    detector.fit(train, validation, QUIET)
    return detector


def test_encoding_puts_cls_first_offsets_templates_and_pads(preprocessor):
    long = _window(0, [k % CYCLE for k in range(40)])
    long.timestamps[-1] = long.timestamps[-2] - 5  # clock skew counts as gap 0
    ids, gaps = encode(long, preprocessor, preprocessor.vocab_size, max_len=32, use_gaps=True)
    assert ids == tuple(preprocessor.template_ids(long.messages[-32:]))
    assert gaps[0] == 0 and set(gaps[1:-1]) == {gap_bucket(10.0)} and gaps[-1] == 0
    no_times = LogSequence("x", long.messages[:3])
    assert encode(no_times, preprocessor, preprocessor.vocab_size, 32, use_gaps=True)[1] == (0, 0, 0)
    batch = collate([(ids, gaps), ((5, 6), (0, 1)), ((), ())])
    assert batch.tokens.shape == (3, 33) and batch.lengths.tolist() == [32, 2, 0]
    assert (batch.tokens[:, 0] == CLS).all()
    assert batch.tokens[1, 1:3].tolist() == [5 + NUM_SPECIAL, 6 + NUM_SPECIAL]
    assert (batch.tokens[1, 3:] == PAD).all() and (batch.tokens[2, 1:] == PAD).all()


def test_random_mask_hits_only_events_at_the_ratio():
    windows = [(tuple(range(1, 1 + n)), (0,) * n) for n in (1, 2, 5, 20, 60, 60)]
    batch = collate(windows)
    mask = random_mask(batch, 0.15, torch.Generator().manual_seed(0))
    assert not mask[:, 0].any() and not (mask & ~batch.events).any()
    counts = mask.sum(dim=1)
    assert counts.min() >= 1
    assert counts[-2:].tolist() == [9, 9]  # round(0.15 * 60)
    again = random_mask(batch, 0.15, torch.Generator().manual_seed(0))
    assert torch.equal(mask, again)


def test_scoring_rounds_mask_every_event_exactly_once():
    batch = collate([(tuple(range(1, 1 + n)), (0,) * n) for n in (0, 3, 17)])
    rounds = _config().scoring_rounds
    total = sum(round_mask(batch, r, rounds).long() for r in range(rounds))
    assert torch.equal(total.bool(), batch.events) and total.max() == 1


def test_mlkp_loss_decreases_on_a_cycle(preprocessor, train):
    config = _config()
    torch.manual_seed(0)
    model = BertLogAnomModel(config, preprocessor.vocab_size)
    windows = [encode(s, preprocessor, preprocessor.vocab_size, config.max_len, True) for s in train[:32]]
    batch = next(batches(windows, 32))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(40):
        loss, _ = masked_forward(MaskedKeyPredictor(model), batch, random_mask(batch, 0.15, generator))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def test_centre_is_detached_kept_off_zero_and_training_shrinks_distances(preprocessor, train):
    vectors = torch.zeros(4, 6, requires_grad=True)
    centre = update_centre(None, vectors.mean(dim=0), 0.9)
    assert not centre.requires_grad and (centre.abs() >= CENTRE_EPS).all()
    config = _config(epochs=6, vhm_weight=1.0)
    torch.manual_seed(0)
    model = BertLogAnomModel(config, preprocessor.vocab_size)
    assert not any("centre" in name for name, _ in model.named_parameters())
    windows = list({encode(s, preprocessor, preprocessor.vocab_size, config.max_len, True) for s in train})

    def spread() -> float:
        found = inspect(model, windows, config).vectors
        return float(((found - found.mean(axis=0)) ** 2).sum(axis=1).mean())

    before = spread()
    train_model(model, windows, [], config, show_progress=False)
    assert spread() < 0.5 * before


def test_anomalies_score_higher(fitted, test_windows):
    scores = fitted.score(test_windows)
    labels = [seq.label for seq in test_windows]
    assert scores.dtype == np.float64 and scores.shape == (len(test_windows),)
    assert roc_auc_score(labels, scores) > 0.9
    parts = fitted.score_components(test_windows)
    np.testing.assert_allclose(scores, 0.5 * parts["top_g"] + 0.5 * parts["distance"])
    assert roc_auc_score(labels, parts["surprisal"]) > 0.9 and roc_auc_score(labels, parts["max_surprisal"]) > 0.9
    assert fitted.distance_scale > 0 and np.abs(fitted.centre).sum() > 0


def test_explain_names_the_unseen_template(fitted):
    explanation = fitted.explain([_anomalous(1)])[0]
    assert explanation["top_g"] > 0 and explanation["missed"]
    assert any(event["template_id"] == 0 for event in explanation["missed"])
    assert all(5 <= e["index"] <= 8 for e in explanation["missed"] if e["template_id"] == 0)
    probabilities = [e["probability"] for e in explanation["missed"]]
    assert probabilities == sorted(probabilities)


def test_the_end_key_marks_where_a_closed_window_stops(preprocessor):
    ids, gaps = encode(_normal(0), preprocessor, preprocessor.vocab_size, max_len=4, use_gaps=True, end_id=99)
    assert ids[-1] == 99 and len(ids) == 5 and gaps[-1] == 0
    config = _config(end_token=True, key_score="surprisal", alpha=1.0, max_len=24, epochs=15)
    assert config.events_kept == 23
    detector = BertLogAnomDetector(config, preprocessor)
    detector.fit([_normal(n) for n in range(120)], [], QUIET)
    whole = [_normal(n) for n in range(600, 620)]
    stopped = [dataclasses.replace(seq, messages=seq.messages[:3], timestamps=seq.timestamps[:3]) for seq in whole]
    still_open = [dataclasses.replace(seq, open=True) for seq in stopped]
    # a window that stops after 3 of its 12-18 events is unexpected; its end is one of the events explained
    assert detector.score(stopped).min() > detector.score(whole).max()
    ends = [e["index"] for e in detector.explain(stopped[:1])[0]["missed"] if e["template_id"] is None]
    assert ends == [3]
    # the same events still open have no end yet
    assert all(event["template_id"] is not None for event in detector.explain(still_open[:1])[0]["missed"])


def test_events_logged_in_the_same_second_are_read_in_template_order():
    # two runs of ties (t=0 and t=5) around a lone event; the order within each run is the log's accident
    assert event_order([4, 2, 3, 1, 0, 2], [0.0, 0.0, 0.0, 3.0, 5.0, 5.0]) == [1, 2, 0, 3, 4, 5]
    assert event_order([4, 2, 3], None) == [0, 1, 2]
    assert event_order([2, 1, 2, 1], [0.0, 1.0, 0.0, 1.0]) == [0, 1, 2, 3]  # only consecutive equal times tie


def _tied(seq: LogSequence, pairs: list[int], swap: bool) -> LogSequence:
    """``seq`` with each event at ``pairs`` logged in the same second as the next one (the two swapped if ``swap``)."""
    messages, times = list(seq.messages), [float(t) for t in seq.timestamps]
    for i in pairs:
        times[i + 1] = times[i]
        if swap:
            messages[i], messages[i + 1] = messages[i + 1], messages[i]
    return dataclasses.replace(seq, messages=messages, timestamps=times)


def test_with_order_ties_a_race_within_a_second_reads_as_the_ordered_window(preprocessor, train):
    detector = BertLogAnomDetector(_config(order_ties=True, epochs=2), preprocessor)
    detector.fit(train, [], QUIET)
    logged = [_tied(_normal(n), [2, 6], swap=False) for n in range(600, 610)]
    raced = [_tied(_normal(n), [2, 6], swap=True) for n in range(600, 610)]
    np.testing.assert_array_equal(detector.score(raced), detector.score(logged))
    unseen = _tied(_normal(700), [8], swap=False)
    unseen.messages[9] = unseen.messages[9].replace(unseen.messages[9].split()[0], "panic", 1)
    # "panic" (unseen: the unknown ID, lower than any other) is read before event 8, logged in the same second
    explained = detector.explain([unseen])[0]["missed"]
    assert [e["index"] for e in explained if e["template_id"] == 0] == [9]  # the message's own index, not 8


def test_same_seed_same_scores_and_scoring_is_deterministic(preprocessor, train, test_windows):
    first, second = (BertLogAnomDetector(_config(), preprocessor) for _ in range(2))
    for detector in (first, second):
        detector.fit(train, [], QUIET)
    scores = first.score(test_windows)
    np.testing.assert_array_equal(scores, first.score(test_windows))
    np.testing.assert_array_equal(scores, second.score(test_windows))


def test_save_load_round_trip(tmp_path, fitted, preprocessor, test_windows):
    fitted.save(tmp_path)
    loaded = BertLogAnomDetector.load(tmp_path, fitted.config, preprocessor)
    np.testing.assert_array_equal(fitted.score(test_windows), loaded.score(test_windows))
    with pytest.raises(BadInputError, match="does not match"):
        BertLogAnomDetector.load(tmp_path, _config(hidden=16), preprocessor)


@pytest.mark.parametrize(
    ("gr_bilstm", "time_gaps", "pooling"), [(False, False, "cls"), (True, True, "mean"), (False, True, "attention")]
)
def test_variants_fit_and_score(preprocessor, train, test_windows, gr_bilstm, time_gaps, pooling):
    config = _config(epochs=1, use_gr_bilstm=gr_bilstm, use_time_gaps=time_gaps, pooling=pooling)
    detector = BertLogAnomDetector(config, preprocessor)
    detector.fit(train[:40], [], QUIET)
    scores = detector.score([*test_windows, LogSequence("empty", [])])
    assert scores.shape == (len(test_windows) + 1,) and np.isfinite(scores).all()


def test_empty_inputs(fitted, preprocessor):
    assert fitted.score([]).shape == (0,)
    assert fitted.explain([]) == []
    with pytest.raises(BadInputError, match="non-empty training window"):
        BertLogAnomDetector(_config(), preprocessor).fit([LogSequence("e", [])], [], QUIET)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mask_ratio": 0.0}, "mask_ratio"),
        ({"alpha": 2.0}, "alpha"),
        ({"pooling": "max"}, "pooling"),
        ({"hidden": 30, "heads": 4}, "multiple of heads"),
        ({"mlkp_weight": 0.0, "vhm_weight": 0.0}, "not both 0"),
        ({"epochs": 0}, "epochs"),
        ({"key_score": "miss"}, "key_score"),
        ({"end_token": True, "max_len": 1}, "end_token"),
    ],
)
def test_bad_config_raises(overrides, message):
    with pytest.raises(ValueError, match=message):
        BertLogAnomConfig(**overrides)


def test_registry_and_presets():
    assert get_detector_class("bertloganom") is BertLogAnomDetector
    assert BertLogAnomDetector.presets is PRESETS and not BertLogAnomDetector.supervised
    for overrides in PRESETS.values():
        BertLogAnomConfig(**overrides)
