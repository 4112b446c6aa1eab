"""The rendered WorkflowTemplates: golden files, strict Argo schema validation, and Argo's and PodSecurity's rules.

No Argo server can run here; the closest real checks are Hera's own Argo models (the schema Argo publishes)
applied strictly, the controllers' rules written from their source (tests/k8s_rules: condition grammar, template
tags, the pods Argo builds, PodSecurity ``restricted``), and a local run of the same DAG (test_run_local.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

pytest.importorskip("hera")

from hera.workflows.models import WorkflowTemplate

from k8s_rules import argo, podsecurity
from logad.cli import main
from logad.detectors.registry import available_detectors, detector_capabilities
from logad.workflow.spec import CLUSTER_PARAMETERS, PARAMETERS, pipeline_steps
from logad_pipelines import ClusterSettings, TrainingSettings, training_runtime, workflow_template

GOLDEN = Path(__file__).resolve().parents[2] / "pipelines" / "generated"
GPU_NODES = {"nvidia.com/gpu.present": "true"}
GPU_TAINT = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
# A production-like cluster: GPUs for LogLLM only, Milvus, several nodes for LogSentry, a pull secret.
CLUSTER = ClusterSettings(
    image="registry.example/logad/trainer:1.0",
    image_pull_secrets=["pull"],
    milvus_uri="http://milvus.milvus:19530",
    milvus_token_secret="logad-milvus",
    detectors={
        "logllm": {
            "gpus": 2,
            "shm_size": "8Gi",
            "runtime_class": "nvidia",
            "priority_class": "training",
            "node_selector": GPU_NODES,
            "tolerations": GPU_TAINT,
        },
        "logsentry": {"nodes": 2, "processes_per_node": 4},
    },
)
SETTINGS = [ClusterSettings(), CLUSTER]


def _rendered(detector: str, settings: ClusterSettings | None = None) -> dict:
    return yaml.safe_load(workflow_template(detector, settings).to_yaml())


def _templates(data: dict) -> dict[str, dict]:
    return {template["name"]: template for template in data["spec"]["templates"]}


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
@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "cluster"])
def test_templates_validate_strictly_and_every_reference_resolves(detector, settings):
    data = _rendered(detector, settings)
    assert _unknown_fields(data, _strict(WorkflowTemplate, data)) == []
    templates = _templates(data)
    dag = templates[data["spec"]["entrypoint"]]["dag"]["tasks"]
    names = {task["name"] for task in dag}
    for task in dag:
        assert task["template"] in templates
        assert set(task.get("depends", "").replace("&&", " ").split()) <= names
    assert [p["name"] for p in data["spec"]["arguments"]["parameters"]] == list(PARAMETERS + CLUSTER_PARAMETERS)
    assert argo.unresolved_references(data) == []
    assert [task["name"] for task in dag] == [step.name for step in pipeline_steps(detector)] + ["roll-out"]
    for template in argo.substitute(data)["spec"]["templates"]:
        if "podSpecPatch" in template:
            json.loads(template["podSpecPatch"])  # Argo parses it as JSON after substitution


@pytest.mark.parametrize("detector", available_detectors())
@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "cluster"])
def test_every_pod_a_run_creates_is_restricted(detector, settings):
    """Fault 3: each step's pod as Argo builds it (its container as ``main``, Argo's ``init`` and ``wait``), with the
    workflow-controller ConfigMap setting no executor security context, passes PodSecurity ``restricted``; so do the
    pods of a multi-node step's TrainJob."""
    data = _rendered(detector, settings)
    pods = list(argo.workflow_pods(data))
    assert {name for name, _ in pods} == {t["name"] for t in data["spec"]["templates"] if "dag" not in t}
    for name, pod in pods:
        assert podsecurity.violations(pod) == [], name
        assert pod["securityContext"]["runAsUser"] == 10001
    if settings.training_for(detector).nodes > 1:
        for where, _, pod in podsecurity.pods([training_runtime(detector, settings)]):
            assert podsecurity.violations(pod) == [], where


def test_argo_executor_containers_need_the_patch_or_the_configmap():
    """Without the podSpecPatch, Argo's init and wait containers break ``restricted`` unless the platform sets the
    workflow-controller ConfigMap's ``executor.securityContext`` (charts/logad/README.md says how)."""
    unpatched = _rendered("baseline", ClusterSettings(executor_security_patch=False))
    (_, prepare), *_ = argo.workflow_pods(unpatched)
    problems = podsecurity.violations(prepare)
    assert any(p.startswith("allowPrivilegeEscalation") and "init" in p and "wait" in p for p in problems)
    configmap = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True}
    for _, pod in argo.workflow_pods(unpatched, executor_security=configmap):
        assert podsecurity.violations(pod) == []


def test_the_old_templates_broke_restricted():
    """What the templates were before fault 3 was fixed: no security context anywhere."""
    data = _rendered("baseline")
    for template in data["spec"]["templates"]:
        template.pop("podSpecPatch", None)
        template.get("container", {}).pop("securityContext", None)
    del data["spec"]["securityContext"]
    (_, pod), *_ = argo.workflow_pods(data)
    checks = {problem.split(":")[0] for problem in podsecurity.violations(pod)}
    expected = {"allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile_restricted", "capabilities_restricted"}
    assert expected <= checks


def test_runs_have_a_deadline_and_their_pods_are_collected():
    """Fault 10: a hung run ends (activeDeadlineSeconds fails it) and finished pods go away (podGC)."""
    for detector in available_detectors():
        spec = _rendered(detector)["spec"]
        assert spec["activeDeadlineSeconds"] == 86400 and spec["podGC"] == {"strategy": "OnPodSuccess"}
    spec = _rendered("baseline", ClusterSettings(active_deadline_seconds=600, pod_gc="OnWorkflowCompletion"))["spec"]
    assert spec["activeDeadlineSeconds"] == 600 and spec["podGC"] == {"strategy": "OnWorkflowCompletion"}


def test_training_resources_and_placement_are_per_detector():
    """Fault 4: the image is a setting; LogLLM's stages get GPUs, /dev/shm, the GPU runtime class, placement and
    priority; its other steps and other detectors stay on CPU nodes."""
    raw = _templates(_rendered("logllm", CLUSTER))
    logllm = _templates(argo.substitute(_rendered("logllm", CLUSTER)))  # the run's resources: the default "{}"
    for stage in ("stage-1", "stage-2", "stage-3"):
        assert "{{workflow.parameters.training_resources}}" in raw[stage]["podSpecPatch"]
        template, container = logllm[stage], logllm[stage]["container"]
        assert container["image"] == "registry.example/logad/trainer:1.0"
        assert container["resources"]["limits"]["nvidia.com/gpu"] == "2"
        assert {"name": "PET_NPROC_PER_NODE", "value": "2"} in container["env"]  # one process per GPU
        assert template["nodeSelector"] == GPU_NODES and template["tolerations"] == GPU_TAINT
        assert template["priorityClassName"] == "training"
        assert json.loads(template["podSpecPatch"])["runtimeClassName"] == "nvidia"
        assert template["volumes"] == [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}]
        assert {"name": "shm", "mountPath": "/dev/shm"} in container["volumeMounts"]
        assert template["metadata"]["labels"]["logad.io/training"] == "true"
    for step in ("prepare", "evaluate", "register"):
        assert "nvidia.com/gpu" not in logllm[step]["container"]["resources"].get("limits", {})
        assert "nodeSelector" not in logllm[step] and "runtimeClassName" not in logllm[step]["podSpecPatch"]
        assert "training_resources" not in raw[step]["podSpecPatch"]
    train = _templates(_rendered("baseline", CLUSTER))["train"]
    assert "nvidia.com/gpu" not in train["container"]["resources"]["limits"] and "nodeSelector" not in train
    assert _rendered("baseline", CLUSTER)["spec"]["imagePullSecrets"] == [{"name": "pull"}]


@pytest.mark.parametrize("detector", available_detectors())
def test_training_stages_get_gpus_only_where_the_detector_declares_them(detector: str):
    """Every detector's training gets GPUs here; a stage the detector declares CPU-only gets none (one process)
    and carries no logad.io/gpus label, which the chart reads the same way."""
    declared = {stage.name: stage.gpus for stage in detector_capabilities(detector).stages}
    templates = _templates(_rendered(detector, ClusterSettings(training=TrainingSettings(gpus=2))))
    for name, gpus in declared.items():
        container, labels = templates[name]["container"], templates[name]["metadata"]["labels"]
        assert container["resources"]["limits"].get("nvidia.com/gpu") == ("2" if gpus else None), name
        assert {"name": "PET_NPROC_PER_NODE", "value": "2" if gpus else "1"} in container["env"], name
        assert labels.get("logad.io/gpus") == ("true" if gpus else None), name


def test_knowledge_base_steps_reach_the_milvus_server():
    """Fault 8: with Milvus configured, the LogSentry steps that open the knowledge base (training builds it,
    evaluate reads it, knowledge-base adds the tenant's rows) get LOGAD_MILVUS_URI and the token by Secret
    reference, so the KB lands where the predictors look; other steps and detectors get neither."""
    templates = _templates(_rendered("logsentry", CLUSTER))
    manifest = yaml.safe_load(templates["pre-train"]["resource"]["manifest"])  # two nodes: a TrainJob
    runtime = training_runtime("logsentry", CLUSTER)
    (node,) = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"][
        "containers"
    ]
    assert manifest["spec"]["runtimeRef"]["name"] == runtime["metadata"]["name"]
    steps = {name: templates[name]["container"]["env"] for name in ("evaluate", "knowledge-base")}
    for step, env in {**steps, "pre-train": node["env"]}.items():
        variables = {variable["name"]: variable for variable in env}
        assert variables["LOGAD_MILVUS_URI"]["value"] == "http://milvus.milvus:19530", step
        assert variables["LOGAD_MILVUS_TOKEN"] == {
            "name": "LOGAD_MILVUS_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "logad-milvus", "key": "token"}},
        }, step
    for step in ("prepare", "register"):
        assert "LOGAD_MILVUS_URI" not in {v["name"] for v in templates[step]["container"]["env"]}
    for template in _rendered("baseline", CLUSTER)["spec"]["templates"]:
        assert "LOGAD_MILVUS_URI" not in {v["name"] for v in template.get("container", {}).get("env", [])}
    from logad.detectors.logsentry.knowledge import MILVUS_TOKEN_ENV, MILVUS_URI_ENV

    assert (MILVUS_URI_ENV, MILVUS_TOKEN_ENV) == ("LOGAD_MILVUS_URI", "LOGAD_MILVUS_TOKEN")  # what the KB reads


def test_training_steps_run_under_torchrun_and_take_a_deepspeed_config():
    """Fault 6: DeepSpeed is a workflow parameter that reaches every training step (and only those)."""
    templates = _templates(_rendered("logllm"))
    for stage in ("stage-1", "stage-2", "stage-3"):
        container = templates[stage]["container"]
        assert container["command"] == ["torchrun", "--standalone", "--nnodes=1", "-m", "logad", "--"]
        args = container["args"]
        assert args[args.index("--deepspeed") + 1] == "{{workflow.parameters.deepspeed}}"
        assert templates[stage]["retryStrategy"]["retryPolicy"] == "OnError"  # infrastructure faults only
    for step in ("prepare", "evaluate", "register"):
        assert templates[step]["container"]["command"] == ["logad"]
        assert "--deepspeed" not in templates[step]["container"]["args"]


def test_a_multi_node_step_is_a_trainjob_that_runs_torchrun():
    """Fault 6: several nodes make the step a TrainJob whose nodes run torchrun (which reads the Trainer's PET_*
    rendezvous), on logad's restricted TrainingRuntime, waited for with conditions Argo can parse."""
    templates = _templates(_rendered("logsentry", CLUSTER))
    resource = templates["pre-train"]["resource"]
    trainjob = yaml.safe_load(resource["manifest"])
    assert trainjob["kind"] == "TrainJob" and trainjob["spec"]["trainer"]["numNodes"] == 2
    assert trainjob["spec"]["trainer"]["numProcPerNode"] == 4
    assert trainjob["spec"]["trainer"]["command"][:4] == ["torchrun", "-m", "logad", "--"]
    assert "--standalone" not in trainjob["spec"]["trainer"]["command"]
    assert trainjob["spec"]["runtimeRef"] == {
        "apiGroup": "trainer.kubeflow.org",
        "kind": "TrainingRuntime",
        "name": "logad-torch-logsentry",
    }
    for condition in (resource["successCondition"], resource["failureCondition"]):
        assert argo.parse_selector(condition)


def _trainjob_status(**counts: int) -> dict:
    node = {"name": "node", "ready": 0, "succeeded": 0, "failed": 0, "active": 0, "suspended": 0, **counts}
    return {"status": {"conditions": [], "jobsStatus": [node]}}


def test_the_trainjob_wait_conditions_follow_the_trainjob():
    """Fault 6: the old conditions fail Argo's ``labels.Parse``; the new ones wait while the node job runs, succeed
    when it succeeded and fail when it failed (Argo checks the failure condition first)."""
    old = 'status.conditions.#(type=="Complete").status == True'
    with pytest.raises(argo.SelectorError):
        argo.parse_selector(old)
    template = _templates(_rendered("logsentry", CLUSTER))["pre-train"]
    assert argo.resource_outcome(template, {"status": {}}) == "waiting"  # just created
    assert argo.resource_outcome(template, _trainjob_status(active=1)) == "waiting"
    assert argo.resource_outcome(template, _trainjob_status(succeeded=1)) == "succeeded"
    assert argo.resource_outcome(template, _trainjob_status(failed=1)) == "failed"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("training: {nodes: 0}\n", "nodes must be at least 1"),
        ("gpus: 2\n", "unknown field(s) gpus"),
        ("detectors: {logllm: {gpuz: 1}}\n", "detectors.logllm: unknown field(s) gpuz"),
        ("pod_gc: Never\n", "pod_gc must be one of"),
        ("detectors: {logllmm: {gpus: 1}}\n", "unknown detector(s) logllmm"),
    ],
)
def test_bad_cluster_settings_are_refused_naming_the_field(tmp_path, capsys, values, message):
    path = tmp_path / "values.yaml"
    path.write_text(values)
    assert main(["pipeline", "render", "--out", str(tmp_path), "--values", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_multi_node_renders_write_the_training_runtime_beside_the_template(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump({"detectors": {"logllm": {"nodes": 2, "gpus": 1}}}))
    assert main(["pipeline", "render", "--out", str(tmp_path / "out"), "--values", str(values)]) == 0
    documents = list(yaml.safe_load_all((tmp_path / "out" / "logllm.yaml").read_text()))
    assert [d["kind"] for d in documents] == ["WorkflowTemplate", "TrainingRuntime"]
    assert [d["kind"] for d in yaml.safe_load_all((tmp_path / "out" / "baseline.yaml").read_text())] == [
        "WorkflowTemplate"
    ]


def test_the_strict_check_finds_a_misspelt_field():
    data = _rendered("baseline")
    data["spec"]["templates"][0]["container"]["imagePullPolicyy"] = "Always"
    data["spec"]["entrypiont"] = "pipeline"
    problems = _unknown_fields(data, _strict(WorkflowTemplate, data))
    assert sorted(problems) == [".spec.entrypiont", ".spec.templates[0].container.imagePullPolicyy"]


def test_the_reference_check_finds_a_misspelt_parameter():
    data = _rendered("baseline")
    data["spec"]["templates"][0]["container"]["args"][2] = "{{workflow.parameters.logz}}"
    data["spec"]["templates"][0]["container"]["args"][4] = "{{inputs.parameters.format}}"
    assert argo.unresolved_references(data) == [
        ".spec.templates[prepare].container.args[2]: {{workflow.parameters.logz}}",
        ".spec.templates[prepare].container.args[4]: {{inputs.parameters.format}}",
    ]


def test_the_deepspeed_parameter_names_a_shipped_config(monkeypatch, capsys):
    """`logad train --deepspeed NAME` (the steps' parameter) sets what `accelerate launch --use_deepspeed
    --deepspeed_config_file` sets, for a config shipped in logad/train/deepspeed, and only under a launcher.
    (A real 2-process torchrun run with `--deepspeed zero2` trains with distributed type "deepspeed"; it takes
    minutes here, so it is not repeated in this suite; tests/train runs DeepSpeed through accelerate.)"""
    from logad.train.distributed import deepspeed_config, use_deepspeed

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "false")  # restored after the test: use_deepspeed sets both
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_CONFIG_FILE", "none")
    train = ["train", "--detector", "baseline", "--logs", "x", "--format", "hdfs", "--out", "y"]
    assert main([*train, "--deepspeed", "zero2"]) == 2
    assert "--deepspeed needs a launcher" in capsys.readouterr().err
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main([*train, "--deepspeed", "zero9"]) == 2
    assert "shipped: zero2, zero2_offload, zero3, zero3_offload" in capsys.readouterr().err
    use_deepspeed("zero3_offload")
    assert os.environ["ACCELERATE_USE_DEEPSPEED"] == "true"
    assert os.environ["ACCELERATE_DEEPSPEED_CONFIG_FILE"] == str(deepspeed_config("zero3_offload"))
