"""Run helm on charts/logad without a cluster and pick apart what it renders."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from k8s_rules import podsecurity

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "logad"
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"
ALERTMANAGER = "http://alertmanager.monitoring:9093/api/v2/alerts"  # an alert webhook for renders that set one
GENERATED = ROOT / "pipelines" / "generated"
RELEASE = NAMESPACE = "logad"
KUBE_VERSION = "1.30.0"
# What a cluster with KServe and Argo Workflows serves; `helm template` has no cluster to ask.
API_VERSIONS = ("serving.kserve.io/v1beta1", "argoproj.io/v1alpha1")


@dataclass(frozen=True)
class Helm:
    """The extracted helm binary, with its config, cache and data homes in a temporary folder."""

    binary: Path
    home: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **{f"HELM_{kind}_HOME": str(self.home / kind.lower()) for kind in ("CACHE", "CONFIG", "DATA")},
        }
        return subprocess.run(
            [str(self.binary), *args], capture_output=True, text=True, env=env, timeout=60, check=False
        )

    def template(self, *options: str, api_versions: tuple[str, ...] = API_VERSIONS) -> subprocess.CompletedProcess[str]:
        """``helm template`` of the chart as release ``logad`` in namespace ``logad``."""
        args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION]
        for api_version in api_versions:
            args += ["--api-versions", api_version]
        return self.run(*args, *options)

    def render(self, *options: str) -> list[dict]:
        """The rendered objects (helm test hooks included); fails the test when rendering fails."""
        result = self.template(*options)
        assert result.returncode == 0, result.stderr
        return [document for document in yaml.safe_load_all(result.stdout) if document]

    def with_template(self, copy: Path, template: str, *options: str) -> dict:
        """What one more ``template`` renders to in a ``copy`` of the chart: for output `helm template` does not
        show (NOTES.txt) and for helpers no template of the chart includes yet."""
        if not copy.exists():
            shutil.copytree(CHART, copy)
            shutil.copy(copy / "templates" / "NOTES.txt", copy / "files" / "notes.txt")
        (copy / "templates" / "zz-test.yaml").write_text(template)
        args = ["template", RELEASE, str(copy), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION]
        for api_version in API_VERSIONS:
            args += ["--api-versions", api_version]
        result = self.run(*args, "--show-only", "templates/zz-test.yaml", *options)
        assert result.returncode == 0, result.stderr
        return yaml.safe_load(result.stdout)

    def notes(self, copy: Path, *options: str) -> str:
        """NOTES.txt as `helm install` prints it, rendered through ``tpl`` into a ConfigMap of a chart copy."""
        template = 'kind: ConfigMap\ndata:\n  notes: {{ tpl (.Files.Get "files/notes.txt") . | quote }}\n'
        return self.with_template(copy, template, *options)["data"]["notes"]


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def one(objects: list[dict], kind: str, name: str) -> dict:
    (found,) = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name]
    return found


def is_builtin(obj: dict) -> bool:
    """A kind Kubernetes itself serves (core or a *.k8s.io group), as opposed to a custom resource."""
    group = obj["apiVersion"].rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def pods(objects: list[dict]) -> Iterator[tuple[str, dict, dict]]:
    """``(where, pod labels, pod spec)`` of every pod the objects make: workload templates, Pods, InferenceService
    components (KServe turns a component's spec into its pods' spec and adds its labels; a predictor's ``model``
    becomes its ServingRuntime's container) and Trainer runtimes."""
    for where, metadata, spec in podsecurity.pods(objects):
        yield where, metadata.get("labels", {}), spec


def containers(objects: list[dict]) -> Iterator[tuple[str, dict, dict]]:
    """``(where, pod spec, container)`` of every container and init container of those pods, and every
    ServingRuntime container (with the runtime's spec as the pod spec)."""
    for where, _, spec in pods(objects):
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            yield f"{where}/{container['name']}", spec, container
    for runtime in of_kind(objects, "ServingRuntime"):
        where = f"ServingRuntime/{runtime['metadata']['namespace']}/{runtime['metadata']['name']}"
        for container in runtime["spec"]["containers"]:
            yield f"{where}/{container['name']}", runtime["spec"], container


def env_of(container: dict) -> dict[str, dict]:
    return {variable["name"]: variable for variable in container.get("env", [])}
