"""The chart lints, renders, and what it renders passes the strictest schemas available without a cluster:
kubernetes-validate for built-in kinds, the kserve SDK's models for InferenceServices and ServingRuntimes, Hera's
Argo models for WorkflowTemplates (which are also the very files `logad pipeline render` writes)."""

from __future__ import annotations

import copy

import jsonschema
import kubernetes_validate
import pytest
import yaml
from chart_helpers import API_VERSIONS, CHART, GENERATED, KUBE_VERSION, PRODUCTION_VALUES, Helm, is_builtin, of_kind
from chart_schemas import argo_unknown_fields, inference_service_schema, serving_runtime_schema

from logad.detectors.registry import available_detectors


@pytest.mark.parametrize("values", [None, PRODUCTION_VALUES], ids=["default", "production"])
def test_helm_lint_strict(helm: Helm, values):
    # helm lint has no --api-versions flag, so the prerequisites check (tested below) is off here.
    options = ["--values", str(values)] if values else []
    result = helm.run(
        "lint", str(CHART), "--strict", "--kube-version", KUBE_VERSION, "--set", "prerequisites.check=false", *options
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


def test_builtin_objects_pass_kubernetes_validate_strictly(objects):
    assert KUBE_VERSION in kubernetes_validate.utils.all_versions()  # bundled, so nothing is fetched
    builtin = [obj for obj in objects if is_builtin(obj)]
    assert {obj["kind"] for obj in builtin} >= {
        "Deployment",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "NetworkPolicy",
        "Pod",
    }
    for obj in builtin:
        # strict: unknown fields fail; a kind without a schema (SchemaNotFoundError) fails too, never just warns.
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_inference_services_match_the_kserve_sdk_models(objects):
    services = of_kind(objects, "InferenceService")
    assert services
    for service in services:
        jsonschema.validate(service, inference_service_schema(), cls=jsonschema.Draft7Validator)


def test_serving_runtimes_match_the_kserve_sdk_models(objects):
    runtimes = of_kind(objects, "ServingRuntime")
    assert runtimes
    for runtime in runtimes:
        assert runtime["apiVersion"] == "serving.kserve.io/v1alpha1"
        jsonschema.validate(runtime, serving_runtime_schema(), cls=jsonschema.Draft7Validator)


def test_the_kserve_schemas_refuse_unknown_and_mistyped_fields(default_objects):
    service = of_kind(default_objects, "InferenceService")[0]
    misspelt = copy.deepcopy(service)
    misspelt["spec"]["predictor"]["model"]["readinesProbe"] = {}
    mistyped = copy.deepcopy(service)
    mistyped["spec"]["transformer"]["minReplicas"] = "one"
    for broken in (misspelt, mistyped):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, inference_service_schema(), cls=jsonschema.Draft7Validator)
    runtime = of_kind(default_objects, "ServingRuntime")[0]
    misspelt = copy.deepcopy(runtime)
    misspelt["spec"]["supportedModelFormats"][0]["autoselect"] = True
    mistyped = copy.deepcopy(runtime)
    mistyped["spec"]["protocolVersions"] = "v1"
    for broken in (misspelt, mistyped):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, serving_runtime_schema(), cls=jsonschema.Draft7Validator)


def test_workflow_template_copies_are_byte_identical_to_the_generated_ones():
    """After `logad pipeline render`, copy pipelines/generated/*.yaml to charts/logad/files/workflowtemplates/."""
    copies = CHART / "files" / "workflowtemplates"
    assert sorted(path.name for path in copies.glob("*.yaml")) == sorted(f"{d}.yaml" for d in available_detectors())
    for detector in available_detectors():
        assert (copies / f"{detector}.yaml").read_bytes() == (GENERATED / f"{detector}.yaml").read_bytes(), (
            f"charts/logad/files/workflowtemplates/{detector}.yaml is stale: copy pipelines/generated/{detector}.yaml"
        )


def test_rendered_workflow_templates_are_the_generated_ones_and_validate_strictly(default_objects, production_objects):
    generated = {d: yaml.safe_load((GENERATED / f"{d}.yaml").read_text()) for d in available_detectors()}
    rendered = {
        obj["metadata"]["labels"]["logad.io/detector"]: obj for obj in of_kind(default_objects, "WorkflowTemplate")
    }
    assert rendered == generated  # Argo's {{...}} expressions reached the output unevaluated
    for template in rendered.values():
        assert argo_unknown_fields(template) == []
    production = of_kind(production_objects, "WorkflowTemplate")
    assert sorted(obj["metadata"]["name"] for obj in production) == ["logad-train-logllm", "logad-train-logsentry"]


def test_the_pipeline_service_account_and_volume_are_the_ones_the_templates_name(default_objects):
    for template in of_kind(default_objects, "WorkflowTemplate"):
        claims = {volume["persistentVolumeClaim"]["claimName"] for volume in template["spec"]["volumes"]}
        assert template["spec"]["serviceAccountName"] in {
            sa["metadata"]["name"] for sa in of_kind(default_objects, "ServiceAccount")
        }
        assert claims <= {pvc["metadata"]["name"] for pvc in of_kind(default_objects, "PersistentVolumeClaim")}


def test_rendering_fails_clearly_without_kserve_or_argo(helm: Helm):
    for missing in API_VERSIONS:
        present = tuple(api for api in API_VERSIONS if api != missing)
        result = helm.template(api_versions=present)
        assert result.returncode != 0
        assert "logad needs KServe and Argo Workflows installed first" in result.stderr
        assert f"does not serve {missing}." in result.stderr
    assert helm.template("--set", "prerequisites.check=false", api_versions=()).returncode == 0


def test_values_are_checked_against_the_schema(helm: Helm):
    for bad in ("operator.replicas=2", "images.server.tag=latest", "state.backend=memory", "deployments[0].detector=x"):
        result = helm.template("--set", bad)
        assert result.returncode != 0 and "values don't meet the specifications of the schema" in result.stderr, bad
