"""The ``restricted`` checks on the examples of the Pod Security Standards page: a compliant pod, and each control
broken once."""

from __future__ import annotations

import copy

import pytest

from k8s_rules import podsecurity

RESTRICTED = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }
    ],
    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "c"}}, {"name": "tmp", "emptyDir": {}}],
}


def _broken(path: str, value) -> dict:
    pod = copy.deepcopy(RESTRICTED)
    *parents, leaf = path.split(".")
    node = pod
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[leaf] = value
    return pod


@pytest.mark.parametrize(
    ("path", "value", "check"),
    [
        ("hostNetwork", True, "hostNamespaces"),
        ("containers.0.securityContext.privileged", True, "privileged"),
        ("containers.0.securityContext.capabilities", {"drop": ["ALL"], "add": ["SYS_ADMIN"]}, "capabilities_baseline"),
        ("volumes", [{"name": "h", "hostPath": {"path": "/"}}], "hostPathVolumes"),
        ("containers.0.ports", [{"containerPort": 80, "hostPort": 80}], "hostPorts"),
        ("containers.0.securityContext.seLinuxOptions", {"user": "root"}, "seLinuxOptions"),
        ("containers.0.securityContext.procMount", "Unmasked", "procMount"),
        ("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}], "sysctls"),
        ("volumes", [{"name": "n", "nfs": {"server": "s", "path": "/"}}], "restrictedVolumes"),
        ("containers.0.securityContext.allowPrivilegeEscalation", True, "allowPrivilegeEscalation"),
        ("securityContext.runAsNonRoot", False, "runAsNonRoot"),
        ("containers.0.securityContext.runAsUser", 0, "runAsUser"),
        ("securityContext.seccompProfile", {"type": "Unconfined"}, "seccompProfile_baseline"),
        ("containers.0.securityContext.capabilities", {"drop": ["NET_RAW"]}, "capabilities_restricted"),
    ],
)
def test_each_control_is_enforced(path, value, check):
    assert podsecurity.violations(RESTRICTED) == []
    assert check in {problem.split(":")[0] for problem in podsecurity.violations(_broken(path, value))}


def test_container_settings_can_stand_in_for_the_pod():
    """runAsNonRoot and seccomp may be set on every container instead of the pod (but then on every one)."""
    pod = copy.deepcopy(RESTRICTED)
    pod["securityContext"] = {}
    context = pod["containers"][0]["securityContext"]
    context.update(runAsNonRoot=True, seccompProfile={"type": "Localhost", "localhostProfile": "p.json"})
    assert podsecurity.violations(pod) == []
    pod["initContainers"] = [{"name": "init", "securityContext": dict(context)}]
    del pod["initContainers"][0]["securityContext"]["seccompProfile"]
    assert [p.split(":")[0] for p in podsecurity.violations(pod)] == ["seccompProfile_restricted"]
