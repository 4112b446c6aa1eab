"""Day one on a real cluster, checked without one: in every namespace the operator watches, what a LogDetector's
Workflow and InferenceService refer to by name exists (its WorkflowTemplate, ServiceAccount, claim, ServingRuntime;
the Secrets NOTES.txt tells the user to create), and every pod anything makes passes PodSecurity ``restricted``:
the chart's own, each workflow step's pod as Argo builds it, and the operator's InferenceService pods (built with
logad_operator's own builders, imported read-only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from chart_helpers import CHART, NAMESPACE, PRODUCTION_VALUES, Helm, env_of, of_kind, one

from k8s_rules import argo, podsecurity
from logad_operator import layout
from logad_operator.inference_service import build_inference_service
from logad_operator.resources import Owner
from logad_operator.settings import OperatorSettings
from logad_operator.spec import parse_spec
from logad_operator.templates import declared_parameters
from logad_operator.workflow import Previous, build_workflow

EXAMPLE = yaml.safe_load((CHART / "examples" / "logdetector.yaml").read_text())


def _namespace(obj: dict) -> str:
    """Where an object lands: its namespace, else the release's (helm install -n)."""
    return obj["metadata"].get("namespace", NAMESPACE)


def _namespaces(objects: list[dict]) -> list[str]:
    """Where LogDetectors run: the namespaces the operator's Role is in (it watches them)."""
    return sorted(
        role["metadata"]["namespace"] for role in of_kind(objects, "Role") if "operator" in role["metadata"]["name"]
    )


def _operator_children(objects: list[dict], namespace: str) -> Iterator[dict[str, Any]]:
    """What the operator creates for a LogDetector of each installed detector in ``namespace``, with the settings the
    chart gives it (its Deployment's environment)."""
    (container,) = one(objects, "Deployment", "logad-operator")["spec"]["template"]["spec"]["containers"]
    settings = OperatorSettings.from_env({name: v["value"] for name, v in env_of(container).items() if "value" in v})
    for template in of_kind(objects, "WorkflowTemplate"):
        if _namespace(template) != namespace:
            continue
        spec = parse_spec({**EXAMPLE["spec"], "detector": template["metadata"]["labels"]["logad.io/detector"]})
        owner = Owner(EXAMPLE["metadata"]["name"], namespace, "uid-1")
        storage = layout.storage_uri(settings, namespace, spec.service_name, "initial")
        yield build_inference_service(owner, spec, settings, storage, {})
        yield build_workflow(owner, spec, settings, "run-1", declared_parameters(spec.detector), Previous("", ""))


def _references(obj: dict[str, Any]) -> set[tuple[str, str]]:
    """``(kind, name)`` of every namespaced object ``obj`` needs by name."""
    found: set[tuple[str, str]] = set()
    text = yaml.safe_dump(obj)
    found |= {("Secret", name) for name in re.findall(r"secretKeyRef:\n\s+key: \S+\n\s+name: (\S+)", text)}
    found |= {("Secret", name) for name in re.findall(r"secretName: (\S+)", text)}
    found |= {("PersistentVolumeClaim", name) for name in re.findall(r"claimName: (\S+)", text)}
    found |= {("PersistentVolumeClaim", claim) for claim in re.findall(r"pvc://([-a-z0-9.]+)", text)}
    spec = obj.get("spec", {})
    if obj["kind"] == "Workflow":
        found.add(("WorkflowTemplate", spec["workflowTemplateRef"]["name"]))
    if obj["kind"] == "WorkflowTemplate":
        found.add(("ServiceAccount", spec["serviceAccountName"]))
    for pod in [spec, *[spec.get(c, {}) for c in ("predictor", "transformer")]]:
        found |= {("Secret", s["name"]) for s in pod.get("imagePullSecrets", [])}
        if runtime := pod.get("model", {}).get("runtime"):
            found.add(("ServingRuntime", runtime))
    return found


def _secrets_in_notes(notes: str) -> set[tuple[str, str]]:
    match = re.search(r"create them in each of [^:]+: (.+)\.", notes)
    return {("Secret", name) for name in match[1].split(", ")} if match else set()


@pytest.mark.parametrize("values", [None, PRODUCTION_VALUES], ids=["default", "production"])
def test_each_watched_namespace_holds_what_its_workflows_and_servers_reference(helm: Helm, tmp_path: Path, values):
    """Fault 2: team namespaces were empty shells (a Role and a ServingRuntime only)."""
    options = ["--values", str(values)] if values else []
    objects = helm.render(*options)
    notes = helm.notes(tmp_path / "chart", *options)
    namespaces = _namespaces(objects)
    assert namespaces == (["logad", "team-a", "team-b"] if values else [NAMESPACE])
    for namespace in namespaces:
        here = [obj for obj in objects if _namespace(obj) == namespace]
        present = {(obj["kind"], obj["metadata"]["name"]) for obj in here} | _secrets_in_notes(notes)
        children = list(_operator_children(objects, namespace))
        assert {child["kind"] for child in children} == {"InferenceService", "Workflow"}
        for obj in here + children:
            missing = _references(obj) - present
            assert not missing, f"{namespace}: {obj['kind']}/{obj['metadata'].get('name')} needs {sorted(missing)}"
        binding = one(here, "RoleBinding", "logad-pipeline")
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "logad-pipeline", "namespace": namespace}]


@pytest.mark.parametrize("values", [None, PRODUCTION_VALUES], ids=["default", "production"])
def test_every_pod_of_the_installation_is_restricted(helm: Helm, values):
    """Fault 3, on what a namespace labelled pod-security.kubernetes.io/enforce=restricted admits: the chart's pods
    (Deployments, Jobs, the helm test Pod, InferenceService components merged with their ServingRuntime), every
    workflow step's pod with Argo's init and wait containers (the workflow-controller ConfigMap setting no executor
    security context), and the InferenceServices the operator creates."""
    objects = helm.render(*(["--values", str(values)] if values else []))
    runtimes = of_kind(objects, "ServingRuntime")
    checked = 0
    for namespace in _namespaces(objects):
        children = [c for c in _operator_children(objects, namespace) if c["kind"] == "InferenceService"]
        for where, _, pod in podsecurity.pods(children + runtimes):
            assert podsecurity.violations(pod) == [], f"{namespace}: operator's {where}"
            checked += 1
    for where, _, pod in podsecurity.pods(objects):
        assert podsecurity.violations(pod) == [], where
        checked += 1
    for template in of_kind(objects, "WorkflowTemplate"):
        for name, pod in argo.workflow_pods(template):
            assert podsecurity.violations(pod) == [], f"{_namespace(template)}: {name}"
            checked += 1
    assert checked > 20
