"""The Argo rules themselves, on the cases their sources test: apimachinery's selector_test.go (TestSelectorParse,
Requirement matching), Argo's matchConditions (failure first, every success requirement), its variables, parameter
substitution (simple_template_test.go: escaped values) and ``when`` (steps_test.go TestShouldExecute)."""

from __future__ import annotations

import json

import pytest

from k8s_rules import argo, merge

GOOD = ["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5",
        "x in (a,b),y notin ()", "example.com/x in (a)", "status.jobsStatus.0.succeeded > 0"]  # fmt: skip
BAD = ["x=a||y=b", "x==a==b", "!x=a", "x<a", "x in (a", "x in a", 'status.conditions.#(type=="Complete").status',
       "a/b/c=x", "-x=a", "x=-a"]  # fmt: skip


@pytest.mark.parametrize("text", GOOD)
def test_selectors_labels_parse_accepts(text):
    argo.parse_selector(text)


@pytest.mark.parametrize("text", BAD)
def test_selectors_labels_parse_refuses(text):
    with pytest.raises(argo.SelectorError):
        argo.parse_selector(text)


def test_requirements_match_gjson_paths_like_the_executor():
    resource = {"status": {"phase": "Succeeded", "items": [{"n": 3}], "flag": True}}
    assert argo.parse_selector("x in (b,a,a)") == [argo.Requirement("x", "in", ("a", "b"))]
    cases = {
        "status.phase == Succeeded": True,
        "status.phase in (Failed,Error)": False,
        "status.phase notin (Failed)": True,
        "status.missing != x": True,  # != and notin hold when the key is absent
        "status.items.0.n > 2": True,
        "status.items.0.n < 2": False,
        "status.items.1.n > 0": False,  # out of range: absent
        "status.flag = true": True,
        "!status.missing,status.phase": True,
    }
    for text, expected in cases.items():
        assert all(argo.requirement_matches(r, resource) for r in argo.parse_selector(text)) is expected, text


def test_resource_outcomes_check_failure_first():
    template = {"resource": {"successCondition": "status.ok > 0", "failureCondition": "status.bad > 0"}}
    assert argo.resource_outcome(template, {"status": {"ok": 1, "bad": 1}}) == "failed"
    assert argo.resource_outcome(template, {"status": {"ok": 1, "bad": 0}}) == "succeeded"
    assert argo.resource_outcome(template, {"status": {}}) == "waiting"


BAD_TAGS = "{{item}} {{tasks.one.outputs.parameters.x}} {{workflow.parameters.q}}"


def test_template_tags_resolve_in_their_scope():
    template = {
        "spec": {
            "arguments": {"parameters": [{"name": "p"}]},
            "templates": [
                {"name": "a", "inputs": {"parameters": [{"name": "i"}]}, "outputs": {"parameters": [{"name": "o"}]},
                 "container": {"args": ["{{inputs.parameters.i}}", "{{pod.name}}", "{{workflow.name}}",
                                        "{{=sprig.trim(workflow.parameters.p)}}"]}},
                {"name": "main", "dag": {"tasks": [
                    {"name": "one", "template": "a", "arguments": {"parameters": [{"name": "i", "value": "{{item}}"}]},
                     "withItems": [1, 2]},
                    {"name": "two", "template": "a", "arguments": {"parameters": [
                        {"name": "i", "value": "{{tasks.one.outputs.parameters.o}}"}]}},
                    {"name": "three", "template": "a", "arguments": {"parameters": [
                        {"name": "i", "value": BAD_TAGS}]}},
                ]}},
            ],
        }
    }  # fmt: skip
    assert argo.unresolved_references(template) == [
        ".spec.templates[main].three.arguments.parameters[0].value: {{item}}",
        ".spec.templates[main].three.arguments.parameters[0].value: {{tasks.one.outputs.parameters.x}}",
        ".spec.templates[main].three.arguments.parameters[0].value: {{workflow.parameters.q}}",
    ]


def test_pod_spec_patches_merge_containers_by_name():
    pod = {"containers": [{"name": "wait", "image": "argoexec"}, {"name": "main", "image": "x"}], "volumes": []}
    patch = {"containers": [{"name": "wait", "securityContext": {"runAsNonRoot": True}}], "runtimeClassName": "n"}
    merged = merge.strategic_merge(pod, patch)
    assert merged["containers"][0] == {"name": "wait", "image": "argoexec", "securityContext": {"runAsNonRoot": True}}
    assert merged["containers"][1] == {"name": "main", "image": "x"} and merged["runtimeClassName"] == "n"


def test_parameters_are_substituted_as_escaped_text_even_inside_json_strings():
    template = {
        "spec": {
            "arguments": {"parameters": [{"name": "r", "value": "{}"}, {"name": "w", "value": "/data/runs/x"}]},
            "templates": [
                {"name": "a", "podSpecPatch": '{"containers":[{"name":"main","resources":{{workflow.parameters.r}}}]}',
                 "args": ["{{workflow.parameters.w}}", "{{=sprig.trimPrefix('/data', workflow.parameters.w)}}",
                          "{{workflow.name}}", "{{ workflow.parameters.r }}"]},
            ],
        }
    }  # fmt: skip
    run = argo.substitute(template, {"r": '{"limits":{"cpu":"2"}}'})["spec"]["templates"][0]
    assert json.loads(run["podSpecPatch"]) == {"containers": [{"name": "main", "resources": {"limits": {"cpu": "2"}}}]}
    assert run["args"] == ["/data/runs/x", "/runs/x", "{{workflow.name}}", '{"limits":{"cpu":"2"}}']
    assert json.loads(argo.substitute(template)["spec"]["templates"][0]["podSpecPatch"])["containers"][0] == {
        "name": "main",
        "resources": {},
    }


@pytest.mark.parametrize(
    ("when", "runs"),
    [
        ("", True),
        ("'team-a' != ''", True),
        ("'' != ''", False),
        ("foo == foo", True),  # bare words are strings
        ("'1' == 1", False),  # reflect.DeepEqual: a string is not a number
        ("1 == 1.0", True),
        ("true && ('a' == 'b' || 'c' != 'd')", True),
        ("'a' == 'a' && false", False),
    ],
)
def test_when_evaluates_like_govaluate_after_substitution(when, runs):
    assert argo.when_holds(when) is runs


UNEVALUABLE = ["team-a != ''", "'a'", "{{workflow.parameters.tenant}} != ''", "'a' == ", "('a' == 'a'"]


@pytest.mark.parametrize("when", UNEVALUABLE)
def test_when_refuses_what_argo_cannot_evaluate(when):
    """Unquoted ``team-a`` is a subtraction of strings to govaluate; an unsubstituted tag is an invalid token."""
    with pytest.raises(argo.WhenError):
        argo.when_holds(when)
