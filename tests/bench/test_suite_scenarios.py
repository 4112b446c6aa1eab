"""Each suite scenario on tiny synthetic data: the expected columns, plausible values, and that each really used
the windows it claims (mutated, unseen-template, cut, drifted)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from suite_helpers import BLOCKS, new_run, saved, saved_arrays

from logad.bench.scenarios.few_labels import FRACTIONS
from logad.bench.scenarios.partial import FIRST_EVENTS
from logad.bench.scenarios.unseen_templates import unseen_subset
from logad.bench.scenarios.unstable import RATES
from logad.bench.suite import arrays
from logad.bench.suite.data import drift_time, kept_label_indices, label_subset, split_of, windows_of
from logad.bench.suite.evaluate import METRIC_COLUMNS
from logad.bench.transforms import partial
from logad.eval.scoring import labels_of
from logad.eval.streaming import stream_metrics
from logad.parsing.preprocessor import UNKNOWN_ID, Preprocessor
from logad.threshold import KINDS
from logad.train.config import TrainConfig


@pytest.fixture(scope="module")
def out(suite_run):
    return suite_run[0]


def _names(contenders):
    return [c.name for c in contenders]


def _in_unit_range(rows, columns):
    numbers = [row[c] for row in rows for c in columns if not isinstance(row[c], str)]
    return all(value is None or 0.0 <= value <= 1.0 for value in numbers)


def test_standard_rows_and_saved_scores(out, synth_sessions, suite_contenders):
    payload, saved_scores = saved(out, "standard"), saved_arrays(out, "standard")
    test = split_of(synth_sessions).test
    assert payload["columns"][:2] == ["dataset", "contender"] and set(METRIC_COLUMNS) <= set(payload["columns"])
    assert [row["contender"] for row in payload["rows"]] == _names(suite_contenders)
    assert _in_unit_range(payload["rows"], METRIC_COLUMNS)
    for row in payload["rows"]:
        assert row["test windows"] == len(test) and row["anomalies"] == int((labels_of(test) == 1).sum())
        assert row["train s"] > 0
        model = out / "models" / "synth-hdfs--session" / row["contender"]
        assert row["served kind"] == json.loads((model / "logad.json").read_text())["threshold"]["kind"] in KINDS
        scores = saved_scores[arrays.scores_key(synth_sessions.name, row["contender"])]
        states = json.loads((model / "thresholds.json").read_text())
        served = stream_metrics(test, scores, labels_of(test), {row["served kind"]: states[row["served kind"]]})
        assert row["served f1"] == served[row["served kind"]]["f1"]
        assert scores.shape == (len(test),)
        assert float(saved_scores[arrays.threshold_key(synth_sessions.name, row["contender"])]) == row["threshold"]
    assert np.array_equal(saved_scores[arrays.labels_key(synth_sessions.name)], labels_of(test))
    embedded = saved_scores[arrays.EMBEDDINGS_LABELS]
    assert len(embedded) == len(test) and saved_scores[arrays.EMBEDDINGS_BEFORE].shape == (len(test), 32)
    assert saved_scores[arrays.EMBEDDINGS_AFTER].shape == (len(test), 32)
    assert not np.allclose(saved_scores[arrays.EMBEDDINGS_BEFORE], saved_scores[arrays.EMBEDDINGS_AFTER])


def test_few_labels_retrains_supervised_contenders_on_fewer_labels(out, synth_sessions):
    rows = saved(out, "few-labels")["rows"]
    assert [(r["contender"], r["train labels"]) for r in rows] == [
        (name, f"{fraction:.0%}") for fraction in FRACTIONS for name in ("decision-tree", "logsentry")
    ]
    labelled = [r["labelled windows"] for r in rows[::2]]
    assert labelled[0] < labelled[1] < labelled[2] == len(split_of(synth_sessions).train)
    assert all(r["labelled anomalies"] >= 1 for r in rows) and _in_unit_range(rows, METRIC_COLUMNS)
    assert (out / "models" / "synth-hdfs--session" / "decision-tree-labels-0-01").is_dir()
    assert (out / "models" / "synth-hdfs--session" / "logsentry-labels-0-1").is_dir()


def test_label_subset_drops_training_labels_only_and_keeps_both_classes(tmp_path, synth_sessions):
    thinned = label_subset(synth_sessions, 0.1, 0, tmp_path)
    before, after = split_of(synth_sessions), split_of(thinned)
    assert [w.id for w in after.test] == [w.id for w in before.test]
    assert [w.id for w in after.validation] == [w.id for w in before.validation]
    assert labels_of(after.test).tolist() == labels_of(before.test).tolist()
    kept = labels_of(after.train)
    assert set(kept[kept >= 0].tolist()) == {0, 1}
    assert np.flatnonzero(kept >= 0).tolist() == kept_label_indices(synth_sessions, 0.1, 0)


def test_unstable_rows_use_mutated_windows_at_the_stated_rates(out, suite_contenders):
    payload, standard = saved(out, "unstable"), saved(out, "standard")
    assert payload["columns"][:3] == ["rate", "contender", "changed windows"]
    assert len(payload["rows"]) == len(RATES) * len(suite_contenders)
    changed = {row["rate"]: row["changed windows"] for row in payload["rows"]}
    assert changed["0%"] == 0 and 0 < changed["5%"] <= changed["20%"]
    for rate in RATES:
        report = payload["meta"]["mutations"][f"{rate:.0%}"]
        assert report["mutated_event_share"] == pytest.approx(rate, abs=0.03)
        assert report["mutated_window_share"] == pytest.approx(rate, abs=0.15)
    clean = {row["contender"]: row["f1"] for row in payload["rows"] if row["rate"] == "0%"}
    assert clean == {row["contender"]: row["f1"] for row in standard["rows"]}  # 0% = the untouched test part


def test_unseen_template_rows_hold_only_windows_with_an_unseen_template(out, synth_sessions, suite_contenders):
    payload = saved(out, "unseen-templates")
    drift = new_run(out, synth_sessions, suite_contenders).drift
    for dataset in (synth_sessions, drift):
        subset = unseen_subset(dataset)
        split = split_of(dataset)
        preprocessor = Preprocessor(TrainConfig().preprocess)
        preprocessor.fit(m for seq in split.train + split.validation for m in seq.messages)
        seen = {i for seq in split.train + split.validation for i in preprocessor.template_ids(seq.messages)}
        assert all(set(preprocessor.template_ids(w.messages)) - (seen - {UNKNOWN_ID}) for w in subset)
        test_ids = {w.id for w in split.test}
        assert {w.id for w in subset} <= test_ids
        counts = payload["meta"]["subsets"][dataset.name]
        assert counts["unseen_windows"] == len(subset) and counts["test_windows"] == len(split.test)
        rows = [row for row in payload["rows"] if row["dataset"] == dataset.name]
        assert [row["contender"] for row in rows] == (_names(suite_contenders) if subset else [])
        assert all(row["windows"] == len(subset) for row in rows)
    assert payload["meta"]["subsets"][drift.name]["unseen_windows"] > 0  # the drift rewords messages


def test_drift_replays_every_kind_on_every_stream_with_and_without_feedback(out, synth_sessions, suite_contenders):
    payload, traces = saved(out, "drift"), saved_arrays(out, "drift")
    dataset = new_run(out, synth_sessions, suite_contenders).drift
    split = split_of(dataset)
    assert max(w.start_time for w in split.train + split.validation) < drift_time(dataset)
    assert len(windows_of(dataset)) == BLOCKS
    lengths = {
        "synthetic": len(split.test),
        **dict.fromkeys(("stable", "reworded", "level"), len(split_of(synth_sessions).test)),
    }
    for stream, length in lengths.items():
        labels = traces[arrays.drift_key(stream, "labels")]
        point = int(traces[arrays.drift_key(stream, "point")])
        assert len(labels) == length and 0 <= point <= length
        for name in _names(suite_contenders):
            rows = [r for r in payload["rows"] if r["contender"] == name and r["stream"] == stream]
            kinds = [r["threshold"].removesuffix(" (served)") for r in rows if r["feedback"] == 0]
            assert kinds == [kind for kind in KINDS if kind in kinds] and "static" in kinds
            assert sum(r["threshold"].endswith("(served)") for r in rows) == 2  # with and without feedback
            assert {r["feedback"] for r in rows} == {0, 10} and _in_unit_range(rows, ["precision", "recall", "f1"])
            scores = traces[arrays.drift_scores_key(stream, name)]
            assert scores.shape == (length,)
            for kind in kinds:
                trace = traces[arrays.drift_trace_key(stream, name, kind)]
                assert trace.shape == (length,) and np.isfinite(trace).all()
            static = traces[arrays.drift_trace_key(stream, name, "static")]
            assert np.all(static == static[0])
            if stream == "level":
                stable = traces[arrays.drift_scores_key("stable", name)]
                assert np.all(scores[point:] > stable[point:]) and np.array_equal(scores[:point], stable[:point])
    assert 0.2 < payload["meta"]["reworded_share_of_second_half"] < 0.5


def test_contamination_compares_clean_and_contaminated_unsupervised_thresholds(out, suite_contenders):
    payload = saved(out, "contamination")
    unsupervised = [c.name for c in suite_contenders if not c.supervised]
    assert [row["contender"] for row in payload["rows"]] == unsupervised
    for row in payload["rows"]:
        assert row["contaminated with"] > 0
        assert row["contaminated with"] / row["validation windows"] == pytest.approx(0.05, abs=0.01)
        assert row["f1 change"] == pytest.approx(row["contaminated f1"] - row["clean f1"])


def test_partial_rows_score_windows_cut_to_their_first_events(out, synth_sessions, suite_contenders):
    payload = saved(out, "partial")
    test = split_of(synth_sessions).test
    assert len(payload["rows"]) == len(FIRST_EVENTS) * len(suite_contenders)
    for row in payload["rows"]:
        n = row["first events"]
        assert n in FIRST_EVENTS and row["mean length"] <= n
        assert row["mean length"] == pytest.approx(np.mean([len(w) for w in partial(test, n)]))
    assert _in_unit_range(payload["rows"], METRIC_COLUMNS)


def test_speed_rows_have_rates_and_memory(out, suite_contenders):
    rows = saved(out, "speed")["rows"]
    assert [row["contender"] for row in rows] == _names(suite_contenders)
    for row in rows:
        assert row["windows/s"] > 0 and row["lines/s"] > row["windows/s"] and row["train s"] > 0
        assert row["peak RSS MiB"] >= row["RSS before MiB"] > 0
        # Served: every request answered, raw lines in, closed windows out.
        assert row["served errors"] == 0 and row["served lines/s"] > row["served windows/s"] > 0
        assert row["served p99 ms"] >= row["served p50 ms"] > 0
