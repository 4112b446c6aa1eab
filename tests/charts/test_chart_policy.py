"""What the rendered objects promise: restricted pods, probes and resources, secrets only by reference, least
privilege RBAC, NetworkPolicies, the servers' exact command lines, state wiring, the operator, helm test."""

from __future__ import annotations

import json

import pytest
import yaml
from chart_helpers import CHART, NAMESPACE, Helm, containers, env_of, of_kind, one, pods

RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
LIVENESS = "--liveness=http://0.0.0.0:8080/healthz"


def _component(objects: list[dict], name: str, component: str) -> tuple[dict, dict]:
    """The component's spec and its container: the transformer's one container, the predictor's ``model``."""
    spec = one(objects, "InferenceService", name)["spec"][component]
    if component == "predictor":
        assert "containers" not in spec  # KServe refuses a predictor with both `model` and `containers`
        return spec, spec["model"]
    (container,) = spec["containers"]
    return spec, container


def _runtime_container(objects: list[dict], name: str, namespace: str = NAMESPACE) -> dict:
    (runtime,) = [
        obj
        for obj in of_kind(objects, "ServingRuntime")
        if (obj["metadata"]["name"], obj["metadata"]["namespace"]) == (name, namespace)
    ]
    (container,) = runtime["spec"]["containers"]
    return container


def test_every_pod_and_container_is_restricted(objects):
    assert len(list(pods(objects))) >= 4
    for where, _, spec in pods(objects):
        assert spec["securityContext"].items() >= RESTRICTED_POD.items(), where
        assert isinstance(spec["securityContext"]["runAsUser"], int) and spec["securityContext"]["runAsUser"] > 0
        volume_kinds = {key for volume in spec.get("volumes", []) for key in volume if key != "name"}
        assert volume_kinds <= {"emptyDir", "persistentVolumeClaim", "secret", "configMap", "projected"}, where
    for where, spec, container in containers(objects):
        context = container["securityContext"]
        assert context.items() >= RESTRICTED_CONTAINER.items(), where
        assert isinstance(context["runAsUser"], int) and context["runAsUser"] > 0, where
        mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
        assert "/tmp" in mounts or spec.get("restartPolicy") == "Never", where  # writable scratch on a read-only root


def test_long_running_containers_have_probes_and_resources(objects):
    for where, spec, container in containers(objects):
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"], where
        if spec.get("restartPolicy") != "Never":  # the helm test pod runs once
            assert container["livenessProbe"]["httpGet"] and container["readinessProbe"]["httpGet"], where


def test_images_are_tagged_and_never_latest(objects):
    images = [container["image"] for _, _, container in containers(objects) if "image" in container]
    images += [
        container["image"]
        for runtime in of_kind(objects, "ServingRuntime")
        for container in runtime["spec"]["containers"]
    ]
    images += [
        t["container"]["image"]
        for wt in of_kind(objects, "WorkflowTemplate")
        for t in wt["spec"]["templates"]
        if "container" in t
    ]
    for image in images:
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, image


def test_secrets_are_only_referenced(objects):
    assert of_kind(objects, "Secret") == []
    for where, _, container in containers(objects):
        for name, variable in env_of(container).items():
            if name.endswith(("_SECRET_NAME", "_SECRET_KEY")):  # where a secret is, not its value
                assert set(variable) == {"name", "value"}, where
            elif any(word in name for word in ("TOKEN", "PASSWORD", "STATE_URL", "SECRET")):
                assert set(variable) == {"name", "valueFrom"} and "secretKeyRef" in variable["valueFrom"], where


def test_rbac_is_least_privilege(objects):
    rules = [rule for kind in ("Role", "ClusterRole") for role in of_kind(objects, kind) for rule in role["rules"]]
    assert rules
    for rule in rules:
        for field in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule[field]
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])
    assert not any("secrets" in rule["resources"] for rule in rules)
    (role,) = [
        role
        for role in of_kind(objects, "Role")
        if role["metadata"]["name"] == "logad-operator" and role["metadata"]["namespace"] == NAMESPACE
    ]
    operator = {resource: set(rule["verbs"]) for rule in role["rules"] for resource in rule["resources"]}
    assert operator == {
        "logdetectors": {"get", "list", "watch", "patch", "update"},
        "logdetectors/status": {"get", "patch", "update"},
        "logdetectors/finalizers": {"update"},  # blockOwnerDeletion on its children (tests/operators)
        "workflows": {"create", "get", "list", "watch", "patch", "delete"},
        "inferenceservices": {"create", "get", "list", "watch", "patch", "update", "delete"},
        "events": {"create"},
        "configmaps": {"get"},
    }
    assert of_kind(objects, "ClusterRole") == [] and of_kind(objects, "ClusterRoleBinding") == []


def test_operator_runs_standalone_in_its_namespaces(default_objects, production_objects):
    (container,) = one(default_objects, "Deployment", "logad-operator")["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["kopf"]
    assert container["args"] == [
        "run",
        "--standalone",
        "-m",
        "logad_operator.handlers",
        "--namespace",
        NAMESPACE,
        LIVENESS,
    ]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    (container,) = one(production_objects, "Deployment", "logad-operator")["spec"]["template"]["spec"]["containers"]
    assert container["args"][4:] == ["--namespace", "logad", "--namespace", "team-a", "--namespace", "team-b", LIVENESS]
    assert {
        role["metadata"]["namespace"]
        for role in of_kind(production_objects, "Role")
        if "operator" in role["metadata"]["name"]
    } == {
        "logad",
        "team-a",
        "team-b",
    }
    assert env_of(container)["LOGAD_MILVUS_URI"]["value"] == "http://milvus.milvus:19530"


def test_operator_names_the_data_claim_mounts_none_and_gets_its_settings(default_objects, production_objects):
    """The runs mount the claim; the operator only names it (a run's config goes inline, fault: a team namespace's
    run could not read a file on the operator namespace's claim)."""
    for objects in (default_objects, production_objects):
        spec = one(objects, "Deployment", "logad-operator")["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        (claim,) = [
            pvc["metadata"]["name"]
            for pvc in of_kind(objects, "PersistentVolumeClaim")
            if pvc["metadata"]["namespace"] == NAMESPACE and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
        ]
        assert [volume["name"] for volume in spec["volumes"]] == ["tmp"]
        env = env_of(container)
        assert "LOGAD_OPERATOR_DATA_DIR" not in env
        assert {name: env[name]["value"] for name in env if "value" in env[name]}.items() >= {
            "LOGAD_DATA_CLAIM": claim,
            "LOGAD_DATA_MOUNT": "/data",
            "LOGAD_SERVING_IMAGE": "ghcr.io/logad/server:0.1.0",
            "LOGAD_SERVING_RUNTIME": "logad",
        }.items()
        assert "LOGAD_STATE_URL" not in env  # the operator hands transformers a secretKeyRef, never the URL
    default_env = env_of(
        one(default_objects, "Deployment", "logad-operator")["spec"]["template"]["spec"]["containers"][0]
    )
    assert not {"LOGAD_STATE_SECRET_NAME", "LOGAD_STATE_SECRET_KEY", "LOGAD_MILVUS_URI"} & set(default_env)
    (container,) = one(production_objects, "Deployment", "logad-operator")["spec"]["template"]["spec"]["containers"]
    env = env_of(container)
    assert env["LOGAD_STATE_SECRET_NAME"]["value"] == "logad-redis" and env["LOGAD_STATE_SECRET_KEY"]["value"] == "url"
    assert env["LOGAD_MILVUS_TOKEN"]["valueFrom"] == {"secretKeyRef": {"name": "logad-milvus", "key": "token"}}


def test_watching_all_namespaces_takes_a_cluster_role(helm: Helm):
    objects = helm.render("--set", "operator.watchAllNamespaces=true")
    (container,) = one(objects, "Deployment", "logad-operator")["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["run", "--standalone", "-m", "logad_operator.handlers", "--all-namespaces", LIVENESS]
    assert [role["metadata"]["name"] for role in of_kind(objects, "Role")] == ["logad-pipeline"]
    (cluster_role,) = of_kind(objects, "ClusterRole")
    binding = of_kind(objects, "ClusterRoleBinding")[0]
    assert binding["roleRef"]["name"] == cluster_role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "logad-operator", "namespace": NAMESPACE}]


def test_network_policies_deny_ingress_by_default(helm: Helm, objects):
    policies = {policy["metadata"]["name"]: policy["spec"] for policy in of_kind(objects, "NetworkPolicy")}
    deny = policies["logad-default-deny-ingress"]
    assert deny["podSelector"] == {"matchLabels": {"app.kubernetes.io/instance": "logad"}}
    assert deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    (rule,) = policies["logad-inference-ingress"]["ingress"]
    assert rule["ports"] == [{"port": 8080, "protocol": "TCP"}]
    assert {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "logad"}}} in rule["from"]
    for where, labels, _ in pods(objects):  # every pod is one the default deny selects
        assert labels["app.kubernetes.io/instance"] == "logad", where
    assert policies["logad-operator-egress"]["policyTypes"] == ["Egress"]
    assert of_kind(helm.render("--set", "networkPolicy.enabled=false"), "NetworkPolicy") == []


def test_servers_run_logad_serving_with_the_exact_arguments(default_objects):
    predictor_spec, model = _component(default_objects, "shared-baseline", "predictor")
    transformer_spec, transformer = _component(default_objects, "shared-baseline", "transformer")
    runtime = _runtime_container(default_objects, "logad")
    # The predictor's model form: what the pipelines' roll-out step patches (spec.predictor.model.storageUri).
    assert model["modelFormat"] == {"name": "logad"} and model["runtime"] == "logad"
    assert model["storageUri"] == "pvc://logad-data/models/shared-baseline"
    assert not {"image", "command", "args"} & set(model)  # the ServingRuntime's container supplies them
    assert env_of(transformer)["STORAGE_URI"]["value"] == model["storageUri"]
    for container in (runtime, transformer):
        assert container["name"] == "kserve-container" and container["image"] == "ghcr.io/logad/server:0.1.0"
        assert container["command"] == ["python", "-m", "logad_serving"]
    for container in (model, transformer):
        assert container["readinessProbe"]["httpGet"] == {"path": "/v2/models/shared-baseline/ready", "port": 8080}
        assert container["livenessProbe"]["httpGet"] == {"path": "/v2/health/live", "port": 8080}
    common = ["--model", "/mnt/models", "--name", "shared-baseline", "--host", "0.0.0.0", "--port", "8080"]
    # KServe substitutes {{.Name}} (the InferenceService's name) in the runtime's container; helm left it alone.
    assert runtime["args"] == ["predictor", *common[:3], "{{.Name}}", *common[4:]]
    assert runtime["readinessProbe"]["httpGet"] == {"path": "/v2/models/{{.Name}}/ready", "port": 8080}
    state = ["--state", "/var/lib/logad/state/tenants.db", "--predictor-protocol", "v1"]
    otlp = ["--otlp-tenant-attribute", "service.namespace"]
    assert transformer["args"] == ["transformer", *common, *state, *otlp]
    assert (
        predictor_spec["automountServiceAccountToken"] is False
        and transformer_spec["automountServiceAccountToken"] is False
    )


def test_sqlite_state_is_a_volume_mounted_in_the_transformer(default_objects):
    spec, transformer = _component(default_objects, "shared-baseline", "transformer")
    mounts = {mount["name"]: mount["mountPath"] for mount in transformer["volumeMounts"]}
    assert mounts["state"] == "/var/lib/logad/state"
    claims = {volume["name"]: volume.get("persistentVolumeClaim", {}).get("claimName") for volume in spec["volumes"]}
    assert claims["state"] == "shared-baseline-state"
    pvc = one(default_objects, "PersistentVolumeClaim", "shared-baseline-state")
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"] and pvc["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert spec["deploymentStrategy"] == {"type": "Recreate"}  # a ReadWriteOnce volume cannot attach to two nodes


def test_sqlite_refuses_several_transformer_replicas_and_knative(helm: Helm):
    (deployment,) = yaml.safe_load((CHART / "values.yaml").read_text())["deployments"]
    deployment["transformer"]["maxReplicas"] = 3
    result = helm.template("--set-json", f"deployments={json.dumps([deployment])}")
    assert result.returncode != 0 and "use at most 1 replica, or state.backend redis" in result.stderr
    result = helm.template("--set", "kserve.deploymentMode=Serverless")
    assert result.returncode != 0 and "state.backend sqlite needs kserve.deploymentMode RawDeployment" in result.stderr


def test_redis_state_comes_from_a_secret(helm: Helm, production_objects):
    for name in ("logad-shared-logsentry", "logad-shared-logllm"):
        spec, transformer = _component(production_objects, name, "transformer")
        assert transformer["args"][transformer["args"].index("--state") + 1] == "$(LOGAD_STATE_URL)"
        assert env_of(transformer)["LOGAD_STATE_URL"]["valueFrom"] == {
            "secretKeyRef": {"name": "logad-redis", "key": "url"}
        }
        assert "deploymentStrategy" not in spec and "state" not in {v["name"] for v in spec["volumes"]}
        assert transformer["args"][-2:] == ["--tokens-dir", "/var/run/logad/tokens"]
        assert {"name": "tokens", "mountPath": "/var/run/logad/tokens", "readOnly": True} in transformer["volumeMounts"]
    claims = {
        (pvc["metadata"]["namespace"], pvc["metadata"]["name"])
        for pvc in of_kind(production_objects, "PersistentVolumeClaim")
    }
    assert claims == {(namespace, "logad-data") for namespace in ("logad", "team-a", "team-b")}  # no state volume
    result = helm.template("--set", "state.backend=redis")
    assert result.returncode != 0 and "state.redis.existingSecret is required" in result.stderr


def test_gpu_predictor_gets_the_gpu_image_placement_and_milvus(production_objects):
    spec, predictor = _component(production_objects, "logad-shared-logllm", "predictor")
    assert predictor["runtime"] == "logad-gpu"
    gpu_runtime = _runtime_container(production_objects, "logad-gpu")
    assert gpu_runtime["image"] == "ghcr.io/logad/server:0.1.0-gpu"
    assert gpu_runtime["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert predictor["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert spec["tolerations"][0]["key"] == "nvidia.com/gpu"
    env = env_of(predictor)
    assert env["LOGAD_MILVUS_TOKEN"]["valueFrom"] == {"secretKeyRef": {"name": "logad-milvus", "key": "token"}}
    _, cpu_predictor = _component(production_objects, "logad-shared-logsentry", "predictor")
    assert cpu_predictor["runtime"] == "logad" and "nvidia.com/gpu" not in cpu_predictor["resources"]["limits"]
    assert _runtime_container(production_objects, "logad")["image"] == "ghcr.io/logad/server:0.1.0"
    egress = one(production_objects, "NetworkPolicy", "logad-operator-egress")["spec"]["egress"]
    assert {"ports": [{"port": 19530, "protocol": "TCP"}]} in egress


@pytest.mark.parametrize(
    ("fixture", "isvc", "token"),
    [("default_objects", "shared-baseline", False), ("production_objects", "logad-shared-logsentry", True)],
)
def test_helm_test_posts_to_the_first_transformer(request, fixture, isvc, token):
    (pod,) = of_kind(request.getfixturevalue(fixture), "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    assert container["command"][:2] == ["python", "-c"]
    script, url = container["command"][2:]
    assert url == f"http://{isvc}-transformer.{NAMESPACE}.svc.cluster.local/v1/models/{isvc}:predict"
    assert '"X-Tenant-Id": "helm-test"' in script and '"flush": True' in script and '"predictions" in answer' in script
    compile(script, "helm-test", "exec")
    assert ("volumes" in pod["spec"]) is token


def test_serving_runtimes_serve_the_logad_model_format_where_needed(helm: Helm, default_objects, production_objects):
    for runtime in of_kind(production_objects, "ServingRuntime"):
        assert runtime["spec"]["supportedModelFormats"] == [{"name": "logad", "version": "1", "autoSelect": True}]
        assert runtime["spec"]["protocolVersions"] == ["v1", "v2"]
    # The release namespace and every watched one (the operator's InferenceServices name the runtime too).
    where = sorted(
        (obj["metadata"]["name"], obj["metadata"]["namespace"]) for obj in of_kind(production_objects, "ServingRuntime")
    )
    assert where == [("logad", "logad"), ("logad", "team-a"), ("logad", "team-b"), ("logad-gpu", "logad")]
    assert [obj["metadata"]["name"] for obj in of_kind(default_objects, "ServingRuntime")] == ["logad"]  # no GPUs
    objects = helm.render("--set", "kserve.servingRuntime.name=custom")
    assert one(objects, "InferenceService", "shared-baseline")["spec"]["predictor"]["model"]["runtime"] == "custom"
    (operator,) = one(objects, "Deployment", "logad-operator")["spec"]["template"]["spec"]["containers"]
    assert env_of(operator)["LOGAD_SERVING_RUNTIME"]["value"] == "custom"
    assert of_kind(helm.render("--set", "kserve.servingRuntime.create=false"), "ServingRuntime") == []
