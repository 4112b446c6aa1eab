"""values.yaml is documented key by key, values.schema.json closes every object, and both know every detector."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import yaml
from chart_helpers import CHART

from logad.detectors.registry import available_detectors

_KEY = re.compile(r"^(?P<indent>\s*)(?:- )?(?P<key>[A-Za-z][\w./-]*):")
_FREE_FORM = ("requests", "limits", "matchLabels", "nodeSelector", "labels")  # maps whose keys are data, not settings


def _schema_objects(node: object, path: str = "") -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield path, node
        for key, value in node.items():
            yield from _schema_objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schema_objects(value, f"{path}/{i}")


def test_every_values_key_has_a_comment():
    lines = (CHART / "values.yaml").read_text().splitlines()
    free_form_indent = None
    undocumented = []
    for number, line in enumerate(lines):
        match = _KEY.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        if free_form_indent is not None and indent > free_form_indent:
            continue
        free_form_indent = indent if match["key"] in _FREE_FORM else None
        previous = next((text for text in reversed(lines[:number]) if text.strip()), "")
        if not previous.strip().startswith("#"):
            undocumented.append(f"line {number + 1}: {line.strip()}")
    assert undocumented == []


def test_the_schema_closes_every_object_and_types_every_map():
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    for path, node in _schema_objects(schema):
        if "properties" in node:
            assert node.get("additionalProperties") is False, path
        else:  # a map: its values still have a schema
            assert isinstance(node.get("additionalProperties"), dict), path


def test_the_schema_and_defaults_know_every_detector():
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    detectors = sorted(available_detectors())
    assert schema["properties"]["workflowTemplates"]["properties"]["detectors"]["items"]["enum"] == detectors
    assert schema["definitions"]["deployment"]["properties"]["detector"]["enum"] == detectors
    assert sorted(values["workflowTemplates"]["detectors"]) == detectors


def test_images_are_pinned_and_milvus_is_no_chart_dependency():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for image in values["images"].values():
        assert image["tag"] and image["tag"] != "latest" and image["pullPolicy"] in ("IfNotPresent", "Always", "Never")
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert "dependencies" not in chart  # a declared but unvendored dependency would stop `helm template`
    assert (chart["apiVersion"], chart["name"], chart["version"], chart["kubeVersion"]) == (
        "v2",
        "logad",
        "0.1.0",
        ">=1.27.0-0",
    )
