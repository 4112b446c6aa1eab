"""Argo Workflows' rules for what a WorkflowTemplate may say, applied without a controller.

1. Resource templates' ``successCondition`` / ``failureCondition``: the executor parses each with Kubernetes'
   ``labels.Parse`` and evaluates every requirement against the resource's JSON, reading a key as a gjson path
   (argo-workflows workflow/executor/resource.go: ``WaitResource``, ``matchConditions``, ``gjsonLabels``). The
   grammar below is a port of kubernetes/apimachinery pkg/labels/selector.go (``Lexer``, ``Parser``,
   ``NewRequirement``, ``Requirement.Matches``) with pkg/util/validation's ``IsQualifiedName`` and
   ``IsValidLabelValue``: operators ``=``, ``==``, ``!=``, ``in``, ``notin``, ``>``, ``<`` (integers), a bare key
   (exists) and ``!key`` (does not exist), requirements joined by commas (all must match).
2. Template tags ``{{...}}`` resolve (docs/variables.md): workflow globals, ``workflow.parameters.<declared>``,
   ``inputs.parameters.<declared by the template>``, ``tasks.<task>.outputs...`` / ``steps.<step>...`` of tasks
   that exist, ``item`` only under ``withItems`` / ``withParam``, ``pod.name`` / ``retries`` in pod templates.
   Expression tags (``{{=...}}``) are checked for the same variables.
3. The pod a template becomes (workflow/controller/workflowpod.go ``createWorkflowPod``, legacy layout): the
   template's container renamed ``main``, Argo's ``wait`` container and ``init`` init container (security context
   from the workflow-controller ConfigMap's ``executor``; for resource templates, when that is unset,
   ``common.MinimalCtrSC()`` with a writable root for ``init`` / ``wait``), the volumes ``var-run-argo`` and
   ``tmp-dir-argo`` (emptyDir) plus the workflow's, placement and security context from the template or the
   workflow, and finally the workflow's then the template's ``podSpecPatch`` as a strategic merge patch
   (``k8s_rules.merge``), after the workflow's parameters are substituted (``substitute``).
4. Parameters (workflow/controller/operator.go ``substituteGlobalVariables``): ``{{workflow.parameters.NAME}}`` is
   replaced in the JSON of the workflow's spec, each value escaped as a Go string literal's inside
   (util/template/simple_template.go ``simpleReplace``: ``strconv.Quote`` without the quotes), so a value lands in
   a string field as it is, even when it is JSON itself (a ``podSpecPatch`` built around a parameter).
5. ``when`` (workflow/controller/steps.go ``shouldExecute``, which DAG tasks use too): after substitution the string
   is a govaluate expression; its variables (bare words) are turned into strings, so ``'a' != ''`` and ``a != b``
   compare strings; it must evaluate to a boolean, and an empty ``when`` always runs.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from k8s_rules.merge import strategic_merge

# --- 1. label selectors (apimachinery pkg/labels/selector.go) -------------------------------------------------

_SPECIAL = set("=!(),><")
_TOKENS = {")": "CLOSE", ",": "COMMA", "!": "NOT", "==": "DOUBLE_EQUALS", "=": "EQUALS", ">": "GT", "in": "IN",
           "<": "LT", "!=": "NOT_EQUALS", "notin": "NOT_IN", "(": "OPEN"}  # fmt: skip
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class SelectorError(ValueError):
    """``labels.Parse`` would refuse the string (Argo then fails the step: "failed to parse")."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # =, ==, !=, in, notin, exists, !, >, <
    values: tuple[str, ...] = ()


def _lex(text: str) -> list[tuple[str, str]]:
    """``Lexer.Lex`` until the end: identifiers run until whitespace or a special symbol; special symbols form the
    longest known operator."""
    items, position = [], 0
    while True:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        if position == len(text):
            items.append(("END", ""))
            return items
        if text[position] in _SPECIAL:
            buffer, token = "", None
            while position < len(text) and text[position] in _SPECIAL:
                if buffer + text[position] in _TOKENS:
                    buffer += text[position]
                    token = _TOKENS[buffer]
                    position += 1
                elif token:
                    break
                else:
                    buffer += text[position]
                    position += 1
            if token is None:
                raise SelectorError(f"error expected: keyword found '{buffer}'")
            items.append((token, buffer))
        else:
            start = position
            while position < len(text) and text[position] not in _SPECIAL and text[position] not in " \t\r\n":
                position += 1
            word = text[start:position]
            items.append((_TOKENS.get(word, "ID"), word))


def _validate_key(key: str) -> None:
    """``validation.IsQualifiedName``: ``[prefix/]name``, name at most 63 characters of ``[-A-Za-z0-9_.]``
    starting and ending alphanumeric, prefix a DNS subdomain."""
    parts = key.split("/")
    if len(parts) > 2:
        raise SelectorError(f"invalid key {key!r}: a qualified name has at most one '/'")
    name = parts[-1]
    if len(parts) == 2 and not (parts[0] and len(parts[0]) <= 253 and _DNS_SUBDOMAIN.match(parts[0])):
        raise SelectorError(f"invalid key {key!r}: prefix part must be a DNS-1123 subdomain")
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        raise SelectorError(
            f"invalid key {key!r}: name part must consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character (at most 63)"
        )


def _validate_value(key: str, value: str) -> None:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise SelectorError(f"invalid label value {value!r} at key {key!r}")


class _Parser:
    """``Parser``: ``[!] KEY [ (in|notin) (VALUES) | (=|==|!=|>|<) VALUE ]``, comma-separated."""

    def __init__(self, text: str) -> None:
        self.items, self.position = _lex(text), 0

    def _next(self, values: bool) -> tuple[str, str]:
        token, literal = self.items[self.position]
        self.position += 1
        return ("ID" if values and token in ("IN", "NOT_IN") else token), literal

    def _peek(self, values: bool = True) -> tuple[str, str]:
        token, literal = self.items[self.position]
        return ("ID" if values and token in ("IN", "NOT_IN") else token), literal

    def parse(self) -> list[Requirement]:
        requirements = []
        while True:
            token, literal = self._peek()
            if token == "END":
                return requirements
            if token not in ("ID", "NOT"):
                raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")
            requirements.append(self._requirement())
            token, literal = self._next(values=True)
            if token == "END":
                return requirements
            if token != "COMMA":
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            if self._peek()[0] not in ("ID", "NOT"):
                raise SelectorError(f"found '{self._peek()[1]}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        token, key = self._next(values=True)
        negated = token == "NOT"
        if negated:
            token, key = self._next(values=True)
        if token != "ID":
            raise SelectorError(f"found '{key}', expected: identifier")
        _validate_key(key)
        if self._peek()[0] in ("END", "COMMA"):
            return Requirement(key, "!" if negated else "exists")
        if negated:  # `!key` takes no operator: the parser goes on to expect one and finds none
            raise SelectorError(f"found '{self._peek()[1]}', expected: ',' or 'end of string'")
        token, literal = self._next(values=False)
        operator = {"IN": "in", "NOT_IN": "notin", "EQUALS": "=", "DOUBLE_EQUALS": "==", "NOT_EQUALS": "!=",
                    "GT": ">", "LT": "<"}.get(token)  # fmt: skip
        if operator is None:
            raise SelectorError(f"found '{literal}', expected: in, notin, =, ==, !=, >, <")
        values = self._set_values() if operator in ("in", "notin") else self._exact_value()
        for value in values:
            _validate_value(key, value)
        if operator in (">", "<") and not re.fullmatch(r"[+-]?\d+", values[0]):
            raise SelectorError(f"for 'Gt', 'Lt' operators, the value must be an integer, not {values[0]!r}")
        return Requirement(key, operator, tuple(sorted(set(values))))

    def _exact_value(self) -> list[str]:
        if self._peek()[0] in ("END", "COMMA"):
            return [""]
        token, literal = self._next(values=True)
        if token != "ID":
            raise SelectorError(f"found '{literal}', expected: identifier")
        return [literal]

    def _set_values(self) -> list[str]:
        """``parseValues``: ``(``, then ``)`` alone (the empty value) or an identifier list and ``)``."""
        token, literal = self._next(values=True)
        if token != "OPEN":
            raise SelectorError(f"found '{literal}' expected: '('")
        token, literal = self._peek()
        if token == "CLOSE":
            self._next(values=True)
            return [""]
        if token not in ("ID", "COMMA"):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        values = self._identifiers()
        token, literal = self._next(values=True)
        if token != "CLOSE":
            raise SelectorError(f"found '{literal}', expected: ')'")
        return values

    def _identifiers(self) -> list[str]:
        """``parseIdentifiersList``: identifiers and commas, where an empty place between commas is the empty
        value; stops before ``)``."""
        values: set[str] = set()
        while True:
            token, literal = self._next(values=True)
            if token == "ID":
                values.add(literal)
                following, text = self._peek()
                if following == "CLOSE":
                    return sorted(values)
                if following != "COMMA":
                    raise SelectorError(f"found '{text}', expected: ',' or ')'")
            elif token == "COMMA":
                if not values:
                    values.add("")
                following = self._peek()[0]
                if following == "CLOSE":
                    values.add("")
                    return sorted(values)
                if following == "COMMA":
                    self._next(values=True)
                    values.add("")
            else:
                raise SelectorError(f"found '{literal}', expected: ',', or identifier")


def parse_selector(text: str) -> list[Requirement]:
    """The requirements of ``text``, or SelectorError as ``labels.Parse`` fails."""
    return _Parser(text).parse()


def gjson_get(document: Any, path: str) -> tuple[bool, str]:
    """gjson's ``GetBytes(json, path)`` for the paths a selector key can spell (dot-separated names and array
    indexes): whether it exists and its ``String()`` (strings raw, other values as JSON)."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, ""
    if isinstance(node, str):
        return True, node
    return True, json.dumps(node, separators=(",", ":"))


def requirement_matches(requirement: Requirement, document: Any) -> bool:
    """``Requirement.Matches`` with Argo's ``gjsonLabels`` as the label set."""
    exists, value = gjson_get(document, requirement.key)
    operator, values = requirement.operator, requirement.values
    if operator in ("=", "==", "in"):
        return exists and value in values
    if operator in ("!=", "notin"):
        return not exists or value not in values
    if operator == "exists":
        return exists
    if operator == "!":
        return not exists
    if not exists or not re.fullmatch(r"[+-]?\d+", value):
        return False
    return int(value) > int(values[0]) if operator == ">" else int(value) < int(values[0])


def resource_outcome(template: dict[str, Any], resource: dict[str, Any]) -> str:
    """What the executor's ``matchConditions`` decides for a resource template given the resource's current JSON:
    ``failed`` (any failure requirement matches, checked first), ``succeeded`` (all success requirements match) or
    ``waiting``."""
    spec = template["resource"]
    if any(requirement_matches(r, resource) for r in parse_selector(spec.get("failureCondition", ""))):
        return "failed"
    if all(requirement_matches(r, resource) for r in parse_selector(spec.get("successCondition", ""))):
        return "succeeded"
    return "waiting"


# --- 2. template tags (docs/variables.md) ------------------------------------------------------------------------

_TAG = re.compile(r"\{\{(=?)\s*(.*?)\s*\}\}", re.S)
_WORKFLOW_GLOBALS = {"name", "namespace", "mainEntrypoint", "serviceAccountName", "uid", "creationTimestamp",
                     "priority", "duration", "scheduledTime", "status", "failures"}  # fmt: skip
_VARIABLE = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\['[^']+'\])*")


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _variables(tag: str, expression: bool) -> list[str]:
    """The variables a tag reads: the whole tag for a simple one; for an expression, every dotted name that starts
    with one of Argo's variable roots (function names such as ``sprig.trimPrefix`` and string literals skipped)."""
    if not expression:
        return [tag]
    without_strings = re.sub(r"'[^']*'|\"[^\"]*\"", "''", tag)
    roots = ("workflow.", "inputs.", "outputs.", "tasks.", "steps.", "item", "pod.", "retries", "node.")
    found = [match.replace("['", ".").replace("']", "") for match in _VARIABLE.findall(without_strings)]
    return [name for name in found if name.startswith(roots) or name in ("item", "retries")]


def _resolves(name: str, spec: dict[str, Any], template: dict[str, Any], task: dict[str, Any] | None) -> bool:
    declared = {p["name"] for p in spec.get("arguments", {}).get("parameters", [])}
    inputs = {p["name"] for p in template.get("inputs", {}).get("parameters", [])}
    parts = name.split(".")
    if parts[0] == "workflow":
        if parts[1] == "parameters":
            return len(parts) == 2 or parts[2] in declared or parts[2] == "json"
        return parts[1] in _WORKFLOW_GLOBALS or parts[1] in ("labels", "annotations", "outputs")
    if parts[0] == "inputs":
        return parts[1] == "parameters" and (len(parts) == 2 or parts[2] in inputs)
    if parts[0] in ("tasks", "steps"):
        return _task_output_resolves(parts, spec, template)
    if parts[0] == "item":
        return task is not None and ("withItems" in task or "withParam" in task)
    if parts[0] in ("pod", "retries"):
        return any(kind in template for kind in ("container", "script", "containerSet"))
    return parts[0] == "node" and parts[1:] == ["name"]


def _task_output_resolves(parts: list[str], spec: dict[str, Any], template: dict[str, Any]) -> bool:
    tasks = template.get("dag", {}).get("tasks") or [s for group in template.get("steps", []) for s in group]
    by_name = {task["name"]: task for task in tasks}
    if len(parts) < 3 or parts[1] not in by_name:
        return False
    if parts[2] in ("id", "ip", "status", "exitCode", "startedAt", "finishedAt", "hostNodeName"):
        return True
    target = {t["name"]: t for t in spec["templates"]}.get(by_name[parts[1]].get("template"), {})
    outputs = target.get("outputs", {})
    if parts[2:4] == ["outputs", "result"]:
        return True
    if parts[2:4] == ["outputs", "parameters"]:
        return len(parts) == 4 or parts[4] in {p["name"] for p in outputs.get("parameters", [])}
    return parts[2:4] == ["outputs", "artifacts"] and parts[4] in {a["name"] for a in outputs.get("artifacts", [])}


def unresolved_references(workflow_template: dict[str, Any]) -> list[str]:
    """``where: {{tag}}`` for every tag in the WorkflowTemplate that Argo could not resolve; a task's arguments
    are resolved in the calling DAG template's scope."""
    spec = workflow_template["spec"]
    problems = []
    scopes: list[tuple[str, Any, dict[str, Any], dict[str, Any] | None]]
    scopes = [(".spec.arguments", spec.get("arguments", {}), {}, None)]
    for template in spec["templates"]:
        where = f".spec.templates[{template['name']}]"
        tasks = template.get("dag", {}).get("tasks") or [s for group in template.get("steps", []) for s in group]
        body = {key: value for key, value in template.items() if key not in ("dag", "steps")}
        scopes.append((where, body, template, None))
        scopes += [(f"{where}.{task['name']}", task, template, task) for task in tasks]
    for where, node, template, task in scopes:
        for path, text in _strings(node, where):
            for expression, tag in _TAG.findall(text):
                if not all(_resolves(name, spec, template, task) for name in _variables(tag, bool(expression))):
                    problems.append(f"{path}: {{{{{expression}{tag}}}}}")
                elif expression and not _variables(tag, True):
                    problems.append(f"{path}: {{{{={tag}}}}} reads no variable")
    return problems


# --- 3. the pods Argo creates (workflow/controller/workflowpod.go) -------------------------------------------------

# common.MinimalCtrSC(): what resource templates' executor containers get when the ConfigMap sets none.
MINIMAL_CONTAINER_SECURITY = {
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "runAsNonRoot": True,
    "runAsUser": 8737,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def workflow_pods(
    workflow_template: dict[str, Any],
    executor_security: dict[str, Any] | None = None,
    arguments: dict[str, str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(template name, pod spec)`` of every pod the WorkflowTemplate's templates create for a run with
    ``arguments`` (the other parameters keep their defaults), as Argo would build it with ``executor_security`` as
    the workflow-controller ConfigMap's ``executor.securityContext``."""
    spec = substitute(workflow_template, arguments)["spec"]
    for template in spec["templates"]:
        if "container" in template:
            main = {**copy.deepcopy(template["container"]), "name": "main"}
            containers = [_executor("wait", executor_security), main]
        elif "resource" in template:
            main = _executor("main", executor_security or MINIMAL_CONTAINER_SECURITY)
            containers = [main]
        else:
            continue
        init_security = executor_security or (_writable(MINIMAL_CONTAINER_SECURITY) if "resource" in template else None)
        pod: dict[str, Any] = {
            "restartPolicy": "Never",
            "initContainers": [_executor("init", init_security)],
            "containers": containers,
            "volumes": [
                {"name": "var-run-argo", "emptyDir": {}},
                {"name": "tmp-dir-argo", "emptyDir": {}},
                *copy.deepcopy(template.get("volumes", [])),
                *copy.deepcopy(spec.get("volumes", [])),
            ],
        }
        for field, workflow_field in (("nodeSelector", "nodeSelector"), ("affinity", "affinity"),
                                      ("tolerations", "tolerations"), ("priorityClassName", "podPriorityClassName"),
                                      ("securityContext", "securityContext")):  # fmt: skip
            value = template.get(field) or spec.get(workflow_field)
            if value:
                pod[field] = copy.deepcopy(value)
        if spec.get("imagePullSecrets"):
            pod["imagePullSecrets"] = copy.deepcopy(spec["imagePullSecrets"])
        for patch in (spec.get("podSpecPatch"), template.get("podSpecPatch")):
            if patch:
                pod = strategic_merge(pod, json.loads(patch))
        yield template["name"], pod


def _executor(name: str, security: dict[str, Any] | None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": "quay.io/argoproj/argoexec"}
    if security is not None:
        container["securityContext"] = copy.deepcopy(security)
    return container


def _writable(security: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in security.items() if key != "readOnlyRootFilesystem"}


# --- 4. parameters (workflow/controller/operator.go, util/template/simple_template.go) -----------------------------

_PARAMETER_TAG = re.compile(r"\{\{\s*workflow\.parameters\.([\w-]+)\s*\}\}")
# The one expression form logad's templates use (util/template/expression_template.go evaluates it with expr and
# sprig's functions once the parameter is known): sprig's trimPrefix of a literal from a parameter.
_TRIM_PREFIX_TAG = re.compile(r"\{\{=\s*sprig\.trimPrefix\('([^']*)',\s*workflow\.parameters\.([\w-]+)\)\s*\}\}")


def substitute(workflow_template: dict[str, Any], arguments: dict[str, str] | None = None) -> dict[str, Any]:
    """The template with ``{{workflow.parameters.NAME}}`` (and ``sprig.trimPrefix`` of one) replaced by the run's
    ``arguments`` or the declared defaults, in its JSON as Argo does it; other tags (``workflow.name``, other
    expressions) are left as they are."""
    declared = workflow_template["spec"].get("arguments", {}).get("parameters", [])
    values = {p["name"]: str(p.get("value", "")) for p in declared} | dict(arguments or {})

    def escaped(text: str) -> str:
        return json.dumps(text)[1:-1]

    def simple(match: re.Match[str]) -> str:
        return escaped(values[match[1]]) if match[1] in values else match[0]

    def trim_prefix(match: re.Match[str]) -> str:
        return escaped(values[match[2]].removeprefix(match[1])) if match[2] in values else match[0]

    text = _TRIM_PREFIX_TAG.sub(trim_prefix, json.dumps(workflow_template))
    return json.loads(_PARAMETER_TAG.sub(simple, text))


# --- 5. `when` (workflow/controller/steps.go shouldExecute: govaluate) ---------------------------------------------

_WHEN_TOKEN = re.compile(
    r"\s*(?:(?P<string>'[^']*'|\"[^\"]*\")|(?P<number>\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||[()])|(?P<word>[A-Za-z_][\w.]*))"
)


class WhenError(ValueError):
    """govaluate (as Argo calls it) would refuse the expression, or it uses what this model does not cover
    (arithmetic, ordering, regex operators)."""


def when_holds(when: str) -> bool:
    """Whether Argo runs a task whose ``when``, already substituted, is ``when``: ``==`` / ``!=`` compare values
    of the same type (``reflect.DeepEqual``: strings, numbers as float64, ``true`` / ``false``), ``&&`` binds
    tighter than ``||``, bare words are strings."""
    if not when.strip():
        return True
    tokens, position = [], 0
    while position < len(when.rstrip()):
        match = _WHEN_TOKEN.match(when, position)
        if not match:
            raise WhenError(f"Invalid 'when' expression {when!r}: cannot read {when[position:]!r}")
        tokens.append(match)
        position = match.end()
    result, end = _when_logical(tokens, 0)
    if end != len(tokens):
        raise WhenError(f"Invalid 'when' expression {when!r}: unexpected {tokens[end][0].strip()!r}")
    if not isinstance(result, bool):
        raise WhenError(f"Expected boolean evaluation for {when!r}. Got {result!r}")
    return result


_LOGICAL = ("||", "&&")  # the loosest first


def _when_logical(tokens: list[re.Match[str]], i: int, level: int = 0) -> tuple[Any, int]:
    """``operand (op operand)*`` for the logical operator of ``level``; operands bind tighter."""

    def operand(at: int) -> tuple[Any, int]:
        return _when_logical(tokens, at, level + 1) if level + 1 < len(_LOGICAL) else _when_compare(tokens, at)

    left, i = operand(i)
    while i < len(tokens) and tokens[i]["op"] == _LOGICAL[level]:
        right, i = operand(i + 1)
        left = _logical(left, right, _LOGICAL[level])
    return left, i


def _logical(left: Any, right: Any, operator: str) -> bool:
    if not (isinstance(left, bool) and isinstance(right, bool)):
        raise WhenError(f"Value '{left}' or '{right}' cannot be used with the logical operator '{operator}'")
    return (left and right) if operator == "&&" else (left or right)


def _when_compare(tokens: list[re.Match[str]], i: int) -> tuple[Any, int]:
    left, i = _when_value(tokens, i)
    if i < len(tokens) and tokens[i]["op"] in ("==", "!="):
        right, j = _when_value(tokens, i + 1)
        same = type(left) is type(right) and left == right
        return same == (tokens[i]["op"] == "=="), j
    return left, i


def _when_value(tokens: list[re.Match[str]], i: int) -> tuple[Any, int]:
    if i >= len(tokens):
        raise WhenError("Invalid 'when' expression: a value is missing")
    token = tokens[i]
    if token["op"] == "(":
        value, i = _when_logical(tokens, i + 1)
        if i >= len(tokens) or tokens[i]["op"] != ")":
            raise WhenError("Invalid 'when' expression: unbalanced parenthesis")
        return value, i + 1
    if token["string"] is not None:
        return token["string"][1:-1], i + 1
    if token["number"] is not None:
        return float(token["number"]), i + 1
    if token["word"] is not None:
        return {"true": True, "false": False}.get(token["word"], token["word"]), i + 1
    raise WhenError(f"Invalid 'when' expression: unexpected {token[0].strip()!r}")
