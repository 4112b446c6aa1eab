"""Day-one operations: a model for the default deployment so `helm test` passes, NOTES.txt that says what to do
next, a documented way to bring logs in, and the serving options (disruption budgets, metrics, a dashboard,
KServe autoscaling)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import yaml
from chart_helpers import CHART, KUBE_VERSION, PRODUCTION_VALUES, Helm, of_kind, one
from prometheus_client.metrics import MetricWrapperBase

from k8s_rules import podsecurity
from logad.cli import main
from logad_serving import metrics as logad_metrics


def _seed_job(objects: list[dict]) -> dict:
    return one(objects, "Job", "logad-seed-model")


def test_the_default_install_seeds_the_model_helm_test_calls(default_objects, tmp_path):
    """Fault 5: deployments[0] serves pvc://logad-data/models/shared-baseline, and now something writes it: the
    seed Job's script, run here against a folder standing in for the claim, trains a model there that `logad
    evaluate` loads, and a second run (an upgrade) leaves it alone."""
    job = _seed_job(default_objects)
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {variable["name"]: variable["value"] for variable in container["env"]}
    (service,) = of_kind(default_objects, "InferenceService")
    claim, path = service["spec"]["predictor"]["model"]["storageUri"].removeprefix("pvc://").split("/", 1)
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    data = next(name for name, volume in volumes.items() if volume.get("persistentVolumeClaim"))
    assert volumes[data]["persistentVolumeClaim"]["claimName"] == claim
    assert env["SEED_MODEL"] == f"{mounts[data]}/{path}"  # the folder the predictor mounts
    assert podsecurity.violations(pod) == []
    script = container["command"][2]
    model = tmp_path / "claim" / path
    run_env = os.environ | {"SEED_MODEL": str(model), "HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    run_env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{run_env['PATH']}"
    script = script.replace("/tmp/synth", str(tmp_path / "synth"))
    done = subprocess.run(["sh", "-c", script], env=run_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    manifest = json.loads((model / "logad.json").read_text())
    assert manifest["detector"] == "baseline"
    again = subprocess.run(["sh", "-c", script], env=run_env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "already" in again.stdout
    assert json.loads((model / "logad.json").read_text())["model_version"] == manifest["model_version"]


def test_helm_test_waits_for_a_model_still_loading(default_objects):
    (pod,) = of_kind(default_objects, "Pod")
    script = pod["spec"]["containers"][0]["command"][2]
    assert "deadline" in script and "error.code < 500" in script  # 5xx and refused connections are retried


def test_notes_say_what_to_do_next(helm: Helm, tmp_path):
    default = helm.notes(tmp_path / "chart")
    assert "shared-baseline serves a seed model" in default and "helm test logad -n logad" in default
    assert "images/trainer.Dockerfile" in default and "logad/trainer:0.1.0" in default
    assert "data-loader-job.yaml" in default
    production = helm.notes(tmp_path / "chart", "--values", str(PRODUCTION_VALUES))
    assert "nothing is served until a model is there (train first" in production
    assert re.search(r"create them in each of logad, team-a, team-b: ghcr-pull, logad-redis, logad-milvus", production)
    submit = "argo submit -n logad --from workflowtemplate/logad-train-logsentry -p tenant=shared"
    assert f"a run naming tenant shared rolls its model out here: {submit}" in production
    assert "a run naming tenant" not in default  # shared-baseline is no logad-<tenant>-<detector>
    empty = helm.notes(tmp_path / "chart", "--set-json", "deployments=[]")
    assert "No deployment is enabled: train first" in empty


def test_the_data_loader_example_is_valid_restricted_and_runs_logad_fetch(tmp_path):
    """Fault 5: a documented way to bring logs in. The example Job validates and is restricted; its command,
    `logad fetch`, downloads a file whole (checked against --sha256) and refuses a wrong one."""
    job = yaml.safe_load((CHART / "examples" / "data-loader-job.yaml").read_text())
    kubernetes_validate.validate(job, KUBE_VERSION, strict=True)
    assert podsecurity.violations(job["spec"]["template"]["spec"]) == []
    for container in job["spec"]["template"]["spec"]["containers"]:
        assert container["command"] == ["logad", "fetch"] and container["args"][1] == "$(URL)"
    served = tmp_path / "served"
    served.mkdir()
    (served / "HDFS.log").write_bytes(b"081109 203615 148 INFO dfs.DataNode: line\n" * 1000)
    digest = hashlib.sha256((served / "HDFS.log").read_bytes()).hexdigest()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(served)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = re.search(r"port (\d+)", server.stdout.readline())[1]
        url = f"http://127.0.0.1:{port}/HDFS.log"
        out = tmp_path / "claim" / "in" / "team-a" / "HDFS.log"
        assert main(["fetch", "--url", url, "--out", str(out), "--sha256", digest]) == 0
        assert out.read_bytes() == (served / "HDFS.log").read_bytes()
        wrong = tmp_path / "wrong.log"
        assert main(["fetch", "--url", url, "--out", str(wrong), "--sha256", "0" * 64]) == 2
        assert not wrong.exists() and not wrong.with_name("wrong.log.part").exists()
        assert main(["fetch", "--url", "file:///etc/passwd", "--out", str(wrong)]) == 2
    finally:
        server.terminate()
        server.wait()


def test_disruption_budgets_cover_the_replicated_components(default_objects, production_objects):
    assert of_kind(default_objects, "PodDisruptionBudget") == []  # one replica each: nothing to keep
    budgets = {pdb["metadata"]["name"]: pdb["spec"] for pdb in of_kind(production_objects, "PodDisruptionBudget")}
    assert set(budgets) == {
        "logad-shared-logsentry-predictor",
        "logad-shared-logsentry-transformer",
        "logad-shared-logllm-transformer",  # its predictor runs one replica
    }
    assert budgets["logad-shared-logllm-transformer"] == {
        "maxUnavailable": 1,
        "selector": {
            "matchLabels": {"serving.kserve.io/inferenceservice": "logad-shared-logllm", "component": "transformer"}
        },
    }
    for pdb in of_kind(production_objects, "PodDisruptionBudget"):
        kubernetes_validate.validate(pdb, KUBE_VERSION, strict=True)


_SAMPLE_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}


def _exported(module: object) -> set[str]:
    """The sample names of the prometheus-client metrics defined in ``module``."""
    return {
        f"{family.name}{suffix}"
        for metric in vars(module).values()
        if isinstance(metric, MetricWrapperBase)
        for family in metric.describe()
        for suffix in _SAMPLE_SUFFIXES[family.type]
    }


def test_the_dashboard_reads_metrics_the_servers_export(production_objects):
    """The dashboard's PromQL names only metrics the servers export at /metrics from one registry: KServe's request
    histograms (kserve.metrics, registered by kserve's RESTServer that logad_serving runs) and logad's per-tenant
    series (logad_serving.metrics); every logad series but the predictor's has a panel."""
    argv, sys.argv = sys.argv, sys.argv[:1]  # importing kserve parses the command line
    try:
        import kserve.metrics as kserve_metrics
    finally:
        sys.argv = argv
    logad = _exported(logad_metrics)
    dashboard = json.loads(one(production_objects, "ConfigMap", "logad-dashboard")["data"]["logad-serving.json"])
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    queries += [variable["query"]["query"] for variable in dashboard["templating"]["list"][1:]]
    used = {name for query in queries for name in re.findall(r"\b((?:request|logad)_\w+)", query)}
    assert used <= _exported(kserve_metrics) | logad
    assert {"request_predict_seconds_bucket", "logad_request_seconds_bucket"} <= used
    assert logad - used == {
        "logad_windows_scored_total",
        "logad_windows_decided_total",
        "logad_alerts_sent_total",
        "logad_request_seconds_count",
        "logad_request_seconds_sum",
    }
    assert json.loads((CHART / "files" / "dashboards" / "logad-serving.json").read_text()) == dashboard


def test_a_pod_monitor_scrapes_the_servers_where_the_api_is_served(helm: Helm):
    result = helm.template("--set", "serving.metrics.podMonitor.enabled=true")
    assert result.returncode != 0 and "needs the Prometheus Operator (monitoring.coreos.com/v1)" in result.stderr
    objects = helm.render(
        "--set", "serving.metrics.podMonitor.enabled=true", "--api-versions", "monitoring.coreos.com/v1",
        "--values", str(PRODUCTION_VALUES),
    )  # fmt: skip
    (monitor,) = of_kind(objects, "PodMonitor")
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["logad", "team-a", "team-b"]}
    assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "http1", "path": "/metrics", "interval": "30s"}]


def test_autoscaling_and_prometheus_scraping_reach_the_inference_services(default_objects, production_objects, helm):
    """serving.autoscaling gives both components KServe's scaleMetric / scaleTarget beside their replica bounds, and
    serving.metrics.prometheusScraping the annotation that makes KServe add scrape annotations to the pods; the
    services still match the SDK models (test_chart_render.py) and run as KServe merges them
    (tests/operators/test_kserve_serving.py)."""
    bounds = {"logad-shared-logsentry": ((2, 6), (2, 8)), "logad-shared-logllm": ((1, 2), (2, 4))}
    for isvc in of_kind(production_objects, "InferenceService"):
        assert isvc["metadata"]["annotations"]["serving.kserve.io/enable-prometheus-scraping"] == "true"
        for component, (low, high) in zip(("predictor", "transformer"), bounds[isvc["metadata"]["name"]], strict=True):
            spec = isvc["spec"][component]
            assert (spec["minReplicas"], spec["maxReplicas"], spec["scaleMetric"], spec["scaleTarget"]) == (
                low,
                high,
                "cpu",
                70,
            )
    (default,) = of_kind(default_objects, "InferenceService")
    assert default["metadata"]["annotations"]["serving.kserve.io/enable-prometheus-scraping"] == "true"
    for component in ("predictor", "transformer"):
        assert not {"scaleMetric", "scaleTarget"} & set(default["spec"][component])
    (quiet,) = of_kind(helm.render("--set", "serving.metrics.prometheusScraping=false"), "InferenceService")
    assert "serving.kserve.io/enable-prometheus-scraping" not in quiet["metadata"]["annotations"]


def test_every_transformer_sends_alerts_to_the_webhook_the_values_name(default_objects, production_objects, helm):
    """serving.alerts.webhookUrl becomes each transformer's --alert-webhook (tests/operators parses the args with
    the server's own parser); none by default, and a URL that is not http(s) is refused by the schema."""
    url = yaml.safe_load(PRODUCTION_VALUES.read_text())["serving"]["alerts"]["webhookUrl"]
    for isvc in of_kind(production_objects, "InferenceService"):
        args = isvc["spec"]["transformer"]["containers"][0]["args"]
        assert args[args.index("--alert-webhook") + 1] == url
    for isvc in of_kind(default_objects, "InferenceService"):
        assert "--alert-webhook" not in isvc["spec"]["transformer"]["containers"][0]["args"]
    refused = helm.template("--set", "serving.alerts.webhookUrl=alertmanager:9093")
    assert refused.returncode != 0 and "webhookUrl" in refused.stderr


ROLLED_OUT = "pvc://logad-data/runs/logad-train-baseline-x7k2p/model"


def _live(chart_uri: str, model_uri: str | None) -> dict:
    annotations = {"logad.io/chart-storage-uri": chart_uri} | ({"logad.io/model-uri": model_uri} if model_uri else {})
    return {"metadata": {"annotations": annotations}, "spec": {"predictor": {"model": {"storageUri": ROLLED_OUT}}}}


def test_helm_upgrade_keeps_the_model_a_run_rolled_out(helm: Helm, tmp_path):
    """Fault 9: Helm 3 patches a custom resource with a JSON merge patch from the previous release's manifest to the
    new one (pkg/kube/client.go createPatch), so a changed transformer container puts the chart's STORAGE_URI back
    behind a rolled-out predictor. The chart serves the live model after a roll-out (logad.io/model-uri) until
    storageUri itself changes (logad.io/chart-storage-uri); `helm template` has no live object."""
    chart_uri = "pvc://logad-data/models/shared-baseline"
    cases = [
        ({}, chart_uri),  # helm install / template: nothing live
        (_live(chart_uri, None), chart_uri),  # no run has rolled out
        (_live(chart_uri, "/data/runs/logad-train-baseline-x7k2p/model"), ROLLED_OUT),
        (_live("pvc://logad-data/models/older", "/data/runs/logad-train-baseline-x7k2p/model"), chart_uri),
    ]
    for live, served in cases:
        arguments = f'(dict "deployment" (index .Values.deployments 0) "live" (`{json.dumps(live)}` | fromJson))'
        template = f'value: {{{{ include "logad.servedStorageUri" {arguments} | quote }}}}\n'
        assert helm.with_template(tmp_path / "chart", template)["value"] == served, live
    (isvc,) = of_kind(helm.render(), "InferenceService")
    assert isvc["metadata"]["annotations"]["logad.io/chart-storage-uri"] == chart_uri
