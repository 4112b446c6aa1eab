"""The rendered WorkflowTemplates: golden files, strict Argo schema validation, resolvable references.

No Argo server can run here; the closest real checks are Hera's own Argo models (the schema Argo publishes)
applied strictly, and a local run of the same DAG (tests/pipelines/test_run_local.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytest.importorskip("hera")

from hera.workflows.models import WorkflowTemplate

from logad.cli import main
from logad.detectors.registry import available_detectors
from logad.pipeline.spec import PARAMETERS, pipeline_steps
from logad_pipelines import ClusterSettings, workflow_template

GOLDEN = Path(__file__).resolve().parents[2] / "pipelines" / "generated"


def _strict(model_cls, data: dict) -> dict:
    """Validate ``data`` with the Argo model and return what the model keeps: a field the schema does not know is
    dropped, so comparing with the input finds it."""
    return model_cls.model_validate(data).model_dump(by_alias=True, exclude_none=True, mode="json")


def _unknown_fields(given, kept, path="") -> list[str]:
    if isinstance(given, dict):
        missing = [f"{path}.{key}" for key in given if key not in kept]
        return missing + [
            problem
            for key in given
            if key in kept
            for problem in _unknown_fields(given[key], kept[key], f"{path}.{key}")
        ]
    if isinstance(given, list):
        return [
            problem
            for i, (a, b) in enumerate(zip(given, kept, strict=True))
            for problem in _unknown_fields(a, b, f"{path}[{i}]")
        ]
    return []


def test_golden_yaml_is_what_the_code_renders(tmp_path):
    """Regenerate with `logad pipeline render` after changing a pipeline; this test shows the diff otherwise."""
    assert main(["pipeline", "render", "--out", str(tmp_path)]) == 0
    for detector in available_detectors():
        rendered = (tmp_path / f"{detector}.yaml").read_text()
        assert rendered == (GOLDEN / f"{detector}.yaml").read_text(), (
            f"{detector}.yaml is stale: run logad pipeline render"
        )


@pytest.mark.parametrize("detector", available_detectors())
@pytest.mark.parametrize(
    "settings", [ClusterSettings(), ClusterSettings(nodes=3, processes_per_node=8, gpus_per_node=8)]
)
def test_templates_validate_strictly_and_every_reference_resolves(detector, settings):
    data = yaml.safe_load(workflow_template(detector, settings).to_yaml())
    assert _unknown_fields(data, _strict(WorkflowTemplate, data)) == []
    templates = {template["name"]: template for template in data["spec"]["templates"]}
    dag = templates[data["spec"]["entrypoint"]]["dag"]["tasks"]
    names = {task["name"] for task in dag}
    for task in dag:
        assert task["template"] in templates
        assert set(re.findall(r"[\w-]+", task.get("depends", ""))) <= names
    declared = {parameter["name"] for parameter in data["spec"]["arguments"]["parameters"]}
    assert declared == set(PARAMETERS)
    used = set(re.findall(r"workflow\.parameters\.(\w+)", yaml.safe_dump(data)))
    assert used <= declared
    expected = [step.name for step in pipeline_steps(detector)] + ["roll-out"]
    assert [task["name"] for task in dag] == expected


def test_training_steps_scale_out_as_torchrun_or_a_trainjob():
    one_node = yaml.safe_load(
        workflow_template("logllm", ClusterSettings(processes_per_node=4, gpus_per_node=4)).to_yaml()
    )
    templates = {template["name"]: template for template in one_node["spec"]["templates"]}
    command = templates["stage-1"]["container"]["command"]
    assert command[:2] == ["torchrun", "--standalone"] and "--nproc-per-node=4" in command
    assert templates["stage-1"]["container"]["resources"]["limits"] == {"nvidia.com/gpu": "4"}
    assert (
        templates["prepare"]["container"]["command"] == ["logad"]
        and "limits" not in templates["prepare"]["container"]["resources"]
    )
    for template in templates.values():
        if "container" in template:
            assert template["retryStrategy"]["retryPolicy"] == "OnError"  # infrastructure faults only
    many = yaml.safe_load(workflow_template("logllm", ClusterSettings(nodes=2, processes_per_node=4)).to_yaml())
    stage = {template["name"]: template for template in many["spec"]["templates"]}["stage-2"]["resource"]
    trainjob = yaml.safe_load(stage["manifest"])
    assert trainjob["kind"] == "TrainJob" and trainjob["spec"]["trainer"]["numNodes"] == 2
    assert trainjob["spec"]["trainer"]["command"][:2] == ["logad", "train"]
    assert "Complete" in stage["successCondition"] and "Failed" in stage["failureCondition"]


def test_bad_cluster_settings_are_refused(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("nodes: 0\n")
    assert main(["pipeline", "render", "--out", str(tmp_path), "--values", str(values)]) == 2
    values.write_text("gpus: 2\n")
    assert main(["pipeline", "render", "--out", str(tmp_path), "--values", str(values)]) == 2


def test_the_strict_check_finds_a_misspelt_field():
    data = yaml.safe_load(workflow_template("baseline").to_yaml())
    data["spec"]["templates"][0]["container"]["imagePullPolicyy"] = "Always"
    data["spec"]["entrypiont"] = "pipeline"
    problems = _unknown_fields(data, _strict(WorkflowTemplate, data))
    assert sorted(problems) == [".spec.entrypiont", ".spec.templates[0].container.imagePullPolicyy"]
