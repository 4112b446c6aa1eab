"""The fitted-model cache: trained once, reused while the request matches, trained again when it does not (reuse
of the suite run's models is tested beside the suite's other tests, in test_suite_scenarios.py)."""

from __future__ import annotations

import dataclasses
import json
import shutil

from suite_helpers import TINY_DEEPLOG, new_run

from logad.artifact import MANIFEST
from logad.bench.suite.contenders import CONTENDERS, Contender
from logad.bench.suite.models import KEY_FILE, fit, model_dir

TREE = CONTENDERS[0]


def test_a_second_fit_reuses_the_model_and_a_changed_request_trains_again(tmp_path, synth_sessions):
    run = new_run(tmp_path, synth_sessions, [TREE])
    first = fit(run, TREE, synth_sessions)
    assert first.trained and first.path == model_dir(run, TREE, synth_sessions)
    assert first.path == tmp_path / "models" / "synth-hdfs--session" / "decision-tree"
    assert (first.path / KEY_FILE).is_file()
    stamp = (first.path / MANIFEST).stat().st_mtime_ns

    again = fit(new_run(tmp_path, synth_sessions, [TREE]), TREE, synth_sessions)
    assert not again.trained and again.manifest.model_version == first.manifest.model_version
    assert (first.path / MANIFEST).stat().st_mtime_ns == stamp

    deeper = Contender("decision-tree", "baseline", {"model": "decision_tree", "max_depth": 2})
    assert fit(run, deeper, synth_sessions).trained  # detector config differs from the manifest's
    assert fit(new_run(tmp_path, synth_sessions, [TREE], seed=1), TREE, synth_sessions).trained
    assert not fit(new_run(tmp_path, synth_sessions, [TREE], seed=1), TREE, synth_sessions).trained

    copy = tmp_path / "copy.log"
    shutil.copy(synth_sessions.logs, copy)
    with copy.open("a") as handle:  # one more line: other data under the same dataset name
        handle.write(synth_sessions.logs.read_text().splitlines(keepends=True)[0])
    changed = dataclasses.replace(synth_sessions, logs=copy)
    assert fit(new_run(tmp_path, changed, [TREE], seed=1), TREE, changed).trained


def test_retrain_trains_each_model_once_per_run(tmp_path, synth_sessions):
    deeplog = Contender("deeplog", "deeplog", TINY_DEEPLOG)
    fit(new_run(tmp_path, synth_sessions, [deeplog]), deeplog, synth_sessions)
    run = new_run(tmp_path, synth_sessions, [deeplog], retrain=True)
    assert fit(run, deeplog, synth_sessions).trained
    assert not fit(run, deeplog, synth_sessions).trained
    assert run.fresh == {model_dir(run, deeplog, synth_sessions)}


def test_a_model_whose_thresholds_are_outdated_is_reused_with_its_thresholds_fitted_again(tmp_path, synth_sessions):
    run = new_run(tmp_path, synth_sessions, [TREE])
    first = fit(run, TREE, synth_sessions)
    manifest = json.loads((first.path / MANIFEST).read_text())
    fitted_record = manifest["threshold"]
    stale = {"kind": "dtpm", "value": 0.25, "how": "an older logad"}  # what an earlier threshold format recorded
    (first.path / MANIFEST).write_text(json.dumps({**manifest, "threshold": stale}))
    (first.path / "thresholds.json").write_text("{}")
    again = fit(new_run(tmp_path, synth_sessions, [TREE]), TREE, synth_sessions)
    assert not again.trained and again.manifest.model_version == first.manifest.model_version
    assert again.manifest.threshold == fitted_record  # the same choice training made
    assert set(json.loads((first.path / "thresholds.json").read_text())) >= {"static", "ewma"}
    assert again.manifest.metrics["served_kind"] == fitted_record["kind"]
