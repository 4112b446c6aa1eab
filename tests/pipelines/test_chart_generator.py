"""The chart's per-detector parts are generated from the detector registry (`logad pipeline chart`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from logad.detectors.registry import available_detectors
from logad_pipelines import chart as generator

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "logad"
GENERATED = ROOT / "pipelines" / "generated"


def test_the_committed_chart_is_what_the_generator_writes():
    files = generator.chart_files(CHART, GENERATED)
    stale = sorted(str(path.relative_to(ROOT)) for path, text in files.items() if path.read_text() != text)
    stale += sorted(str(path) for path in (CHART / generator.TEMPLATES).glob("*.yaml") if path not in files)
    assert stale == [], "run `logad pipeline render && logad pipeline chart`"


def test_a_new_detector_reaches_every_list_and_a_removed_one_leaves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    chart, generated = tmp_path / "chart", tmp_path / "generated"
    shutil.copytree(CHART, chart)
    shutil.copytree(GENERATED, generated)
    detectors = [*available_detectors()[1:], "zzdetector"]  # one removed, one added
    (generated / "zzdetector.yaml").write_text("kind: WorkflowTemplate\n")
    monkeypatch.setattr(generator, "available_detectors", lambda: detectors)

    changed = generator.write_chart(chart, generated)

    removed = chart / generator.TEMPLATES / f"{available_detectors()[0]}.yaml"
    assert removed in changed and not removed.exists()
    assert (chart / generator.TEMPLATES / "zzdetector.yaml").read_text() == "kind: WorkflowTemplate\n"
    crd = yaml.safe_load((chart / generator.CRD).read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["properties"]["detector"]["enum"] == detectors
    assert yaml.safe_load((chart / generator.VALUES).read_text())["workflowTemplates"]["detectors"] == detectors
    schema = json.loads((chart / generator.SCHEMA).read_text())
    assert schema["definitions"]["deployment"]["properties"]["detector"]["enum"] == detectors
    assert schema["properties"]["pipeline"]["properties"]["detectors"]["propertyNames"]["enum"] == detectors
    assert generator.write_chart(chart, generated) == []  # idempotent
