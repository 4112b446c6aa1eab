"""The synthetic generator: determinism, native formats, labelled anomaly kinds, tenants and drift."""

from __future__ import annotations

import json

from logad.data.dataset import DataSpec, load_windows
from logad.data.formats import FORMATS
from logad.data.synth import SynthConfig, generate
from logad.data.synth.hdfs import MUTATIONS, NEW_TEMPLATE_STEP


def _make(tmp_path, **kwargs):
    config = SynthConfig(**{"blocks": 400, "bgl_lines": 800, "anomaly_rate": 0.2, **kwargs})
    return generate(config, tmp_path), tmp_path


def test_deterministic_per_seed(tmp_path):
    _make(tmp_path / "a", kind="both", gzip=True)
    _make(tmp_path / "b", kind="both", gzip=True)
    _make(tmp_path / "c", kind="both", gzip=True, seed=1)
    for name in ("HDFS.log.gz", "BGL.log.gz", "anomaly_label.csv"):
        a, b, c = ((tmp_path / x / "tenant-0" / name).read_bytes() for x in "abc")
        assert a == b and a != c


def test_lines_parse_and_labels_cover_blocks(tmp_path):
    manifest, out = _make(tmp_path, kind="both")
    folder = out / "tenant-0"
    assert all(FORMATS["hdfs"].parse_line(line) for line in (folder / "HDFS.log").read_text().splitlines())
    bgl = (folder / "BGL.log").read_text().splitlines()
    assert all(FORMATS["bgl"].parse_line(line) for line in bgl)
    assert sum(not line.startswith("- ") for line in bgl) == manifest["tenants"]["tenant-0"]["bgl"]["anomalies"]
    loaded = load_windows(folder / "HDFS.log", DataSpec("hdfs"), folder / "anomaly_label.csv")
    assert len(loaded.sequences) == 400 and loaded.unlabelled == 0


def test_anomaly_kinds_are_really_present(tmp_path):
    _, out = _make(tmp_path)
    folder = out / "tenant-0"
    kinds = {row["id"]: row["kind"] for row in map(json.loads, (folder / "anomalies.jsonl").read_text().splitlines())}
    windows = {w.id: w for w in load_windows(folder / "HDFS.log", DataSpec("hdfs")).sequences}
    normal_lengths = {len(w) for i, w in windows.items() if i not in kinds}
    new_template = NEW_TEMPLATE_STEP[2].split("{")[0]
    assert normal_lengths == {10}
    assert not any(new_template in m for i, w in windows.items() if i not in kinds for m in w.messages)
    for block, kind in kinds.items():
        messages = windows[block].messages
        if kind == "missing_step":
            assert len(messages) == 9
        elif kind == "new_template":
            assert any(new_template in m for m in messages)
        elif kind == "frequency_burst":
            assert len(messages) >= 18
        elif kind == "error_message":
            assert any("java.io.IOException" in m for m in messages)
    assert set(kinds.values()) == {
        "missing_step",
        "wrong_order",
        "error_message",
        "new_template",
        "frequency_burst",
    }


def test_tenants_are_disjoint(tmp_path):
    _, out = _make(tmp_path, tenants=2)
    ids = [
        set(load_windows(out / t / "HDFS.log", DataSpec("hdfs")).sequences[i].id for i in range(400))
        for t in ("tenant-0", "tenant-1")
    ]
    assert not ids[0] & ids[1]


def test_template_mutation_only_after_drift_point(tmp_path):
    manifest, out = _make(tmp_path, drift_at=0.5, drift=("template_mutation",), anomaly_rate=0.0)
    drift_time = manifest["tenants"]["tenant-0"]["hdfs"]["drift_point"]
    windows = load_windows(out / "tenant-0" / "HDFS.log", DataSpec("hdfs")).sequences
    mutated_word = next(iter(MUTATIONS.values()))
    for w in windows:
        assert any(mutated_word in m for m in w.messages) == (w.start_time >= int(drift_time))
