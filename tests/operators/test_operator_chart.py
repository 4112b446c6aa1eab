"""The operator as the chart installs it: the rights its Role gives and the settings its Deployment's env gives,
applied to what the operator creates."""

from __future__ import annotations

from typing import Any

import pytest
from chart_helpers import ALERTMANAGER, env_of, of_kind, one

from logad_operator.inference_service import PROMETHEUS_SCRAPING, build_inference_service
from logad_operator.resources import INFERENCE_SERVICES, LOG_DETECTORS, WORKFLOWS, Owner
from logad_operator.settings import OperatorSettings
from logad_operator.spec import parse_spec
from logad_operator.templates import declared_parameters
from logad_operator.workflow import Previous, build_workflow

OWNER = Owner("hdfs", "logad", "0f6c-uid")
SPEC = parse_spec({"detector": "logsentry", "tenant": "team-a", "data": {"logs": "/data/l", "format": "hdfs"}})


def allows(rules: list[dict[str, Any]], group: str, resource: str, verb: str) -> bool:
    return any(group in rule["apiGroups"] and resource in rule["resources"] and verb in rule["verbs"] for rule in rules)


def operator_settings(objects: list[dict[str, Any]]) -> OperatorSettings:
    """The settings the operator reads from the env the chart gives it (variables set from Secrets are read by
    the operator process only: their values are not in the chart)."""
    (deployment,) = [d for d in of_kind(objects, "Deployment") if d["metadata"]["name"].endswith("-operator")]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return OperatorSettings.from_env({name: v["value"] for name, v in env_of(container).items() if "value" in v})


@pytest.mark.parametrize("values", ["default", "production"])
def test_the_role_lets_the_operator_block_its_owners_deletion(chart: dict[str, list[dict]], values: str):
    """Kubernetes' OwnerReferencesPermissionEnforcement admission (kubernetes/kubernetes
    plugin/pkg/admission/gc/gc_admission.go, ``ownerRefToDeleteAttributeRecords``): creating an object whose owner
    reference sets ``blockOwnerDeletion`` needs ``update`` on the owner's ``finalizers`` subresource."""
    objects = chart[values]
    settings = operator_settings(objects)
    children = [
        build_inference_service(OWNER, SPEC, settings, "pvc://logad-data/m", {}),
        build_workflow(OWNER, SPEC, settings, "r1", declared_parameters("logsentry"), Previous("", "")),
    ]
    roles = [
        r for r in of_kind(objects, "Role") + of_kind(objects, "ClusterRole") if "-operator" in r["metadata"]["name"]
    ]
    assert roles
    for role in roles:
        for child, kind in zip(children, (INFERENCE_SERVICES, WORKFLOWS), strict=True):
            assert allows(role["rules"], kind.group, kind.plural, "create")
            for ref in child["metadata"]["ownerReferences"]:
                assert ref["kind"] == LOG_DETECTORS.kind
                if ref.get("blockOwnerDeletion"):
                    finalizers = f"{LOG_DETECTORS.plural}/finalizers"
                    assert allows(role["rules"], LOG_DETECTORS.group, finalizers, "update"), role["metadata"]


def test_operator_made_predictors_get_the_milvus_token_the_chart_configures(chart: dict[str, list[dict]]):
    """Production values set milvus.uri and milvus.tokenSecret; the operator's predictors must open that Milvus
    with that token (src/logad/detectors/logsentry/knowledge.py reads LOGAD_MILVUS_URI and LOGAD_MILVUS_TOKEN)."""
    objects = chart["production"]
    settings = operator_settings(objects)
    chart_predictor = one(objects, "InferenceService", "logad-shared-logsentry")["spec"]["predictor"]["model"]
    isvc = build_inference_service(OWNER, SPEC, settings, "pvc://logad-data/m", {})
    env = env_of(isvc["spec"]["predictor"]["model"])
    for name in ("LOGAD_MILVUS_URI", "LOGAD_MILVUS_TOKEN"):
        assert env.get(name) == env_of(chart_predictor)[name], name


@pytest.mark.parametrize("values", ["default", "production"])
def test_operator_made_services_are_scraped_like_the_charts(chart: dict[str, list[dict]], values: str):
    """serving.metrics.prometheusScraping annotates the chart's InferenceServices; the operator's get the same
    annotation from the env the chart gives it, so the PodMonitor and dashboard see every tenant."""
    objects = chart[values]
    chart_annotations = {
        (isvc["metadata"].get("annotations") or {}).get(PROMETHEUS_SCRAPING)
        for isvc in of_kind(objects, "InferenceService")
    }
    isvc = build_inference_service(OWNER, SPEC, operator_settings(objects), "pvc://logad-data/m", {})
    assert chart_annotations == {"true"}
    assert isvc["metadata"]["annotations"][PROMETHEUS_SCRAPING] == "true"
    off = OperatorSettings.from_env({"LOGAD_PROMETHEUS_SCRAPING": "false"})
    assert (
        PROMETHEUS_SCRAPING
        not in build_inference_service(OWNER, SPEC, off, "pvc://logad-data/m", {})["metadata"]["annotations"]
    )


@pytest.mark.parametrize("values", ["default", "alerting"])
def test_operator_made_transformers_alert_read_otlp_tenants_and_close_quiet_sessions_like_the_charts(
    chart: dict[str, list[dict]], values: str
):
    """serving.alerts.webhookUrl, serving.otlp.tenantAttribute and serving.sessionIdleWallSeconds reach the chart's
    transformers as arguments; the operator's transformers get the same ones from the env the chart gives it."""
    objects = chart[values]
    isvc = build_inference_service(OWNER, SPEC, operator_settings(objects), "pvc://logad-data/m", {})
    for transformer in [
        *(s["spec"]["transformer"]["containers"][0] for s in of_kind(objects, "InferenceService")),
        isvc["spec"]["transformer"]["containers"][0],
    ]:
        args = transformer["args"]
        assert args[args.index("--otlp-tenant-attribute") + 1] == (
            "team" if values == "alerting" else "service.namespace"
        )
        webhook = args[args.index("--alert-webhook") + 1] if "--alert-webhook" in args else None
        assert webhook == (ALERTMANAGER if values == "alerting" else None)
        idle = args[args.index("--session-idle-wall-seconds") + 1] if "--session-idle-wall-seconds" in args else None
        assert idle == ("600" if values == "alerting" else None)
