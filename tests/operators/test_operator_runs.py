"""What a Workflow the operator submits does once Argo runs the detector's WorkflowTemplate (pipelines/generated, which
the chart copies): the run's parameters substituted as Argo substitutes them, each step's pod as Argo builds it,
the roll-out task's ``when`` evaluated and its JSON patch applied (RFC 6902, as the API server applies one) to the
InferenceService it names (tests/k8s_rules/argo.py)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml

from k8s_rules import argo, podsecurity
from k8s_rules.kserve import storage_uri
from logad.config import load_config_source
from logad.detectors.registry import available_detectors, detector_capabilities
from logad_operator import layout
from logad_operator.inference_service import build_inference_service
from logad_operator.resources import ANNOTATION_MODEL_URI, ANNOTATION_STOP, ANNOTATION_STORAGE_URI, Owner
from logad_operator.settings import OperatorSettings
from logad_operator.spec import DEEPSPEED, SpecError, parse_spec
from logad_operator.templates import declared_parameters
from logad_operator.workflow import Previous, build_workflow

GENERATED = Path(__file__).resolve().parents[2] / "pipelines" / "generated"
OWNER = Owner("hdfs", "team-a", "0f6c-uid")
SETTINGS = OperatorSettings()
RUN = "20250101-000000-000000"
INFERENCE_SERVICES = "inferenceservices.serving.kserve.io"
GPU_TRAINING = {"requests": {"cpu": "8", "memory": "48Gi"}, "limits": {"memory": "64Gi", "nvidia.com/gpu": 2}}


def spec(detector: str = "logsentry", **training: Any):
    data = {"logs": "/data/in/team-a/HDFS.log", "format": "hdfs"}
    return parse_spec({"detector": detector, "tenant": "team-a", "data": data, "training": training})


def template(detector: str) -> dict[str, Any]:
    return yaml.safe_load((GENERATED / f"{detector}.yaml").read_text())


def run_arguments(detector: str, **training: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The Workflow the operator submits for a LogDetector with ``training`` and its arguments by name."""
    declared = declared_parameters(detector)
    workflow = build_workflow(OWNER, spec(detector, **training), SETTINGS, RUN, declared, Previous("", ""))
    return workflow, {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}


def roll_out(substituted: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The DAG task that patches an InferenceService and its resource template."""
    templates = {t["name"]: t for t in substituted["spec"]["templates"]}
    entry = templates[substituted["spec"]["entrypoint"]]
    patching = [
        (task, templates[task["template"]])
        for task in entry["dag"]["tasks"]
        if templates[task["template"]].get("resource", {}).get("flags", [None])[0] == INFERENCE_SERVICES
    ]
    (found,) = patching
    return found


@pytest.mark.parametrize("detector", available_detectors())
def test_training_resources_reach_only_the_training_pods_which_stay_restricted(detector: str):
    """Fault 4 / the CRD's training.resources: the operator's parameter, substituted into each training step's
    podSpecPatch, merges over the template's resources in the pod Argo builds; the other steps keep theirs. A
    detector that trains on CPUs only gets the same resources without the GPUs (parse_spec refuses those)."""
    wanted = copy.deepcopy(GPU_TRAINING)
    if not detector_capabilities(detector).gpus:
        del wanted["limits"]["nvidia.com/gpu"]
    _, arguments = run_arguments(detector, resources=wanted)
    rendered = template(detector)
    defaults = {t["name"]: t["container"]["resources"] for t in rendered["spec"]["templates"] if "container" in t}
    labels = {t["name"]: t.get("metadata", {}).get("labels", {}) for t in rendered["spec"]["templates"]}
    training = {name for name, found in labels.items() if found.get("logad.io/training") == "true"}
    assert training
    for name, pod in argo.workflow_pods(rendered, arguments=arguments):
        assert podsecurity.violations(pod) == [], name
        if name not in defaults:
            continue  # the roll-out's own pod
        main = next(c for c in pod["containers"] if c["name"] == "main")
        expected = {kind: {key: str(value) for key, value in values.items()} for kind, values in wanted.items()}
        assert main["resources"] == (expected if name in training else defaults[name]), name
    # Without the LogDetector's resources the parameter's default "{}" leaves every step as rendered.
    for name, pod in argo.workflow_pods(rendered):
        if name in defaults:
            assert next(c for c in pod["containers"] if c["name"] == "main")["resources"] == defaults[name]


def test_the_config_reaches_logad_train_inline_in_any_namespace():
    """The LogDetector's training.config goes inline: the run reads it from its own arguments, not from a file on a
    claim in the operator's namespace (which a team namespace's run does not mount)."""
    config = {"detector": {"pretrain_epochs": 0, "finetune_epochs": 2}, "seed": 7}
    _, arguments = run_arguments("logsentry", config=config)
    substituted = argo.substitute(template("logsentry"), arguments)
    (train,) = [t for t in substituted["spec"]["templates"] if t["name"] == "pre-train"]
    args = train["container"]["args"]
    assert load_config_source(args[args.index("--config") + 1]) == config


@pytest.mark.parametrize("detector", available_detectors())
def test_the_roll_out_moves_predictor_and_transformer_together(detector: str):
    """Fault 9: the roll-out step's one JSON patch moves the predictor's storageUri and the transformer's
    STORAGE_URI to the run's model (the transformer reads the model's thresholds from its own mount), on the
    service the operator created stopped before any run."""
    workflow, arguments = run_arguments(detector)
    s = spec(detector)
    initial = layout.storage_uri(SETTINGS, OWNER.namespace, s.service_name, layout.INITIAL_RUN)
    service = build_inference_service(OWNER, s, SETTINGS, initial, {ANNOTATION_STOP: "true"})
    task, resource_template = roll_out(argo.substitute(template(detector), arguments))
    assert argo.when_holds(task["when"])
    resource = resource_template["resource"]
    assert (resource["action"], resource["mergeStrategy"]) == ("patch", "json")
    assert resource["flags"] == [INFERENCE_SERVICES, s.service_name]
    patched = jsonpatch.apply_patch(service, yaml.safe_load(resource["manifest"]))
    expected = workflow["metadata"]["annotations"][ANNOTATION_STORAGE_URI]
    assert expected == layout.storage_uri(SETTINGS, OWNER.namespace, s.service_name, RUN)
    assert storage_uri(patched, "predictor") == storage_uri(patched, "transformer") == expected
    assert patched["metadata"]["annotations"][ANNOTATION_MODEL_URI] == layout.model_path(SETTINGS, expected)


def test_the_roll_out_refuses_a_transformer_whose_first_variable_is_not_storage_uri():
    """The patch addresses the transformer's model by position; its ``test`` op makes the whole patch fail (the
    run fails at roll-out, the service is unchanged) rather than overwrite another variable."""
    _, arguments = run_arguments("baseline")
    s = spec("baseline")
    service = build_inference_service(OWNER, s, SETTINGS, "pvc://logad-data/m", {ANNOTATION_STOP: "true"})
    reordered = copy.deepcopy(service)
    env = reordered["spec"]["transformer"]["containers"][0]["env"]
    env.insert(0, env.pop())
    _, resource_template = roll_out(argo.substitute(template("baseline"), arguments))
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.apply_patch(reordered, yaml.safe_load(resource_template["resource"]["manifest"]))


@pytest.mark.parametrize("detector", available_detectors())
def test_a_run_without_a_tenant_patches_no_inference_service(detector: str):
    """Fault 10: ``argo submit`` with no tenant must not roll a model out to some ``logad-<tenant>-<detector>``:
    the tenant defaults to empty and Argo skips the roll-out task, whose ``when`` is false once substituted."""
    rendered = template(detector)
    defaults = {p["name"]: p.get("value", "") for p in rendered["spec"]["arguments"]["parameters"]}
    assert defaults["tenant"] == ""
    task, _ = roll_out(argo.substitute(rendered))
    assert not argo.when_holds(task["when"])
    named, _ = roll_out(argo.substitute(rendered, {"tenant": "team-a"}))
    assert argo.when_holds(named["when"])


@pytest.mark.parametrize("detector", available_detectors())
def test_a_deepspeed_config_reaches_every_training_step_of_the_run(detector: str):
    """spec.training.deepspeed picks a shipped config per LogDetector; each step that runs `logad train` gets it,
    and the CRD and the spec parser offer exactly the configs logad ships."""
    _, arguments = run_arguments(detector, deepspeed="zero2")
    assert arguments["deepspeed"] == "zero2"
    substituted = argo.substitute(template(detector), arguments)
    trains = [
        t["container"]["args"]
        for t in substituted["spec"]["templates"]
        if "--deepspeed" in t.get("container", {}).get("args", [])
    ]
    assert trains and all(args[args.index("--deepspeed") + 1] == "zero2" for args in trains)
    shipped = {path.stem for path in (Path(__file__).resolve().parents[2] / "src/logad/train/deepspeed").glob("*.json")}
    assert set(DEEPSPEED) == shipped
    with pytest.raises(SpecError, match=r"spec\.training\.deepspeed"):
        spec(detector, deepspeed="zero4")
