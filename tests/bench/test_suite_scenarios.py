"""Each suite scenario on tiny synthetic data: the expected columns, plausible values, and that each really used
the windows it claims (mutated, unseen-template, cut, drifted); then the suite's combined result and its HTML
report, and scenarios run after the suite reusing its models. Every test of the one suite run is in this file, so
that it is run once (xdist gives a worker whole files, and each worker would run its own)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from suite_helpers import BLOCKS, new_run, saved, saved_arrays

from logad.bench.common import slug
from logad.bench.html_report import FIGURES, REPORT, write_html_report
from logad.bench.scenarios.few_labels import FRACTIONS
from logad.bench.scenarios.partial import COMPLETE, FIRST_EVENTS
from logad.bench.scenarios.serve import PACED_SHARE, RUNS, served_load
from logad.bench.scenarios.unseen_templates import unseen_subset
from logad.bench.scenarios.unstable import RATES, unstable
from logad.bench.suite import arrays
from logad.bench.suite.data import drift_time, kept_label_indices, label_subset, split_of, windows_of
from logad.bench.suite.evaluate import METRIC_COLUMNS
from logad.bench.suite.run import SUITE_SCENARIOS
from logad.bench.transforms import partial
from logad.cli import main
from logad.eval.scoring import labels_of
from logad.eval.streaming import stream_metrics
from logad.jobs.train_config import TrainConfig
from logad.parsing.preprocessor import UNKNOWN_ID, Preprocessor
from logad.threshold import KINDS

FIGURE_KINDS = [spec.kind for spec in FIGURES]
FIGURE = re.compile(r'<figure data-kind="([^"]+)"><img alt="[^"]*" src="data:image/png;base64,[A-Za-z0-9+/=]+">')


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


def test_partial_rows_score_cut_windows_of_models_trained_with_and_without_prefixes(
    out, synth_sessions, suite_contenders
):
    payload = saved(out, "partial")
    test = split_of(synth_sessions).test
    cuts = [COMPLETE, *map(str, FIRST_EVENTS)]
    assert len(payload["rows"]) == 2 * len(cuts) * len(suite_contenders)
    for row in payload["rows"]:
        cut = row["first events"]
        windows = test if cut == COMPLETE else partial(test, int(cut))
        assert row["mean length"] == pytest.approx(np.mean([len(w) for w in windows]), abs=0.051)  # rounded to 0.1
        assert row["FA/1000"] == pytest.approx(1000 * row["false alarms"] / len(windows), abs=0.01)
    for contender in _names(suite_contenders):
        trained = {row["trained on"] for row in payload["rows"] if row["contender"] == contender}
        assert trained == {"whole sessions", "+ prefixes 5/10/20"}
    models = out / "models" / slug(synth_sessions.name)
    assert {path.name for path in models.iterdir()} >= {f"{slug(c)}+prefixes-5-10-20" for c in _names(suite_contenders)}
    assert _in_unit_range(payload["rows"], ["f1", "roc_auc"])


def test_speed_rows_have_rates_and_memory(out, suite_contenders):
    rows = saved(out, "speed")["rows"]
    assert [row["contender"] for row in rows] == _names(suite_contenders)
    for row in rows:
        assert row["windows/s"] > 0 and row["lines/s"] > row["windows/s"] and row["train s"] > 0
        assert row["peak RSS MiB"] >= row["RSS before MiB"] > 0
        # Served: every request answered, raw lines in, closed windows out.
        assert row["served errors"] == 0 and row["served lines/s"] > row["served windows/s"] > 0
        assert row["served p99 ms"] >= row["served p50 ms"] > 0


def test_serve_runs_the_suite_model_behind_real_servers(out, synth_sessions, suite_contenders):
    tree = [c for c in suite_contenders if c.name == "decision-tree"]
    result = served_load(new_run(out, synth_sessions, tree), 1_500, 60.0)
    assert [(row["tenants"], row["provisional"]) for row in result.rows] == [(r.tenants, r.provisional) for r in RUNS]
    for row in result.rows:
        assert row["contender"] == "decision-tree" and row["errors"] == 0 and row["lines"] == 1_500
        assert 0 < row["p50 ms"] <= row["p99 ms"] and row["windows"] > 0 and row["flush p99 ms"] > 0
        assert 1 <= row["sessions/request first 10k"] <= 100  # a 100-line request names at most 100 sessions
    plain, early = result.rows[:2]  # 1 tenant without, then with provisional decisions after 5 events
    assert early["decided before flush"] > plain["decided before flush"]
    assert early["first decision p50 lines"] < plain["first decision p50 lines"]
    unpaced, paced = result.rows[-2:]
    assert paced["offered req/s"] == pytest.approx(PACED_SHARE * unpaced["requests"] / unpaced["seconds"], rel=0.01)
    assert paced["seconds"] >= (paced["requests"] - paced["tenants"] - 1) / paced["offered req/s"] * 0.9
    assert (out / "serve" / "latency.png").stat().st_size > 10_000


# ---- the combined result and the HTML report: written by the suite, rebuilt from the saved files ----------------


def _figure_kinds(text: str) -> list[str]:
    return FIGURE.findall(text)


def test_the_suite_writes_every_scenario_and_a_combined_result(suite_run):
    out, result = suite_run
    assert [row["scenario"] for row in result.rows] == list(SUITE_SCENARIOS)
    assert all(row["rows"] > 0 and row["seconds"] >= 0 for row in result.rows)
    for name in SUITE_SCENARIOS:
        assert (out / f"{name}.json").is_file() and (out / f"{name}.md").is_file()
        assert f"### {json.loads((out / f'{name}.json').read_text())['title']}" in "\n".join(result.notes)
    assert {p.name for p in out.glob("*.npz")} == {"standard.npz", "drift.npz"}
    assert set(result.meta["scenarios"]) == set(SUITE_SCENARIOS) and result.meta["trained"]


def test_the_html_report_holds_one_image_per_figure_kind_and_every_table(suite_run):
    out, _ = suite_run
    text = (out / REPORT).read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert _figure_kinds(text) == FIGURE_KINDS and text.count("<img") == len(FIGURE_KINDS)
    assert all(f'<section id="{name}">' in text for name in SUITE_SCENARIOS)
    assert text.count("<table>") == len(SUITE_SCENARIOS)


def test_logad_bench_report_rebuilds_the_page_from_saved_results(suite_run, tmp_path, capsys):
    out, _ = suite_run
    copy = tmp_path / "bench"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("models", "data", REPORT))
    assert main(["bench", "report", "--out", str(copy)]) == 0
    assert _figure_kinds((copy / REPORT).read_text()) == FIGURE_KINDS
    sections = json.loads((copy / "report.json").read_text())["rows"]
    assert all(section["included"] for section in sections)
    assert "report.html" in capsys.readouterr().out


def test_a_report_from_partial_results_leaves_out_what_is_missing(suite_run, tmp_path):
    out, _ = suite_run
    shutil.copy(out / "drift.json", tmp_path / "drift.json")
    shutil.copy(out / "unstable.json", tmp_path / "unstable.json")
    path, sections = write_html_report(tmp_path)
    text = path.read_text()
    assert _figure_kinds(text) == [] and "Not run yet: standard, contamination, few-labels" in text
    assert {s.name: s.included for s in sections} == {
        **{f"figure: {kind}": False for kind in FIGURE_KINDS},
        "table: unstable": True,
        "table: drift": True,
    }


def test_unknown_contenders_are_a_clear_cli_error(tmp_path, capsys):
    assert main(["bench", "standard", "--data", str(tmp_path), "--out", str(tmp_path), "--detectors", "nope"]) == 2
    assert "unknown contender(s) nope" in capsys.readouterr().err


def test_a_threshold_trace_below_every_score_is_still_drawn(suite_run, tmp_path):
    """A threshold may be -inf (an operator's verdict asking for every window); the drift figures leave it out of
    their axis range instead of failing."""
    out, _ = suite_run
    shutil.copy(out / "drift.json", tmp_path / "drift.json")
    with np.load(out / "drift.npz") as data:
        saved = dict(data)
    trace = next(key for key in saved if "/threshold/" in key)
    saved[trace] = np.full_like(saved[trace], -np.inf)
    np.savez(tmp_path / "drift.npz", **saved)
    path, _ = write_html_report(tmp_path)
    assert f"drift-{trace.split('/')[1]}" in _figure_kinds(path.read_text())


def test_scenarios_after_the_suite_reuse_its_models(suite_run, synth_sessions, suite_contenders):
    out, _ = suite_run
    run = new_run(out, synth_sessions, suite_contenders)
    result = unstable(run)
    assert run.fresh == set() and len(result.rows) == 4 * len(suite_contenders)
