"""PodSecurity admission's ``restricted`` level, applied to pod specs without an API server.

Written from the Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards) and the checks
that enforce them (kubernetes/kubernetes staging/src/k8s.io/pod-security-admission/policy/check_*.go):
``restricted`` is every ``baseline`` control plus its own. Each check reads what the admission plugin reads: pod-level
fields and every container, init container and ephemeral container, a container's setting overriding the pod's.

baseline: no Windows HostProcess; no host network, PID or IPC namespace; no privileged container; capabilities added
only from the default set (check_capabilities_baseline.go); no hostPath volume; no host port; AppArmor unset,
``RuntimeDefault`` or ``Localhost``; SELinux type empty or ``container_t`` / ``container_init_t`` /
``container_kvm_t`` and no user or role; ``procMount`` default; seccomp not ``Unconfined``; only the safe sysctls
(check_sysctls.go). restricted: volumes only configMap, csi, downwardAPI, emptyDir, ephemeral,
persistentVolumeClaim, projected, secret (check_restrictedVolumes.go); ``allowPrivilegeEscalation: false``; non-root
(``runAsNonRoot: true`` on the pod or every container, none false; check_runAsNonRoot.go) and no ``runAsUser: 0``;
seccomp ``RuntimeDefault`` or ``Localhost`` on the pod or every container (check_seccompProfile_restricted.go);
capabilities drop ``ALL`` and add at most ``NET_BIND_SERVICE``.

``pods`` finds the pods rendered objects make: workload templates, Pods, KServe InferenceService components (the
predictor's ``model`` merged into its ServingRuntime's container, as KServe does) and Kubeflow Trainer runtimes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_BASELINE_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
                  "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}  # fmt: skip
# The 1.0 list of check_sysctls.go; later versions allow a few more, which nothing here sets.
_SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                 "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"}  # fmt: skip
_SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
_RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                       "projected", "secret"}  # fmt: skip
_GOOD_PROFILES = {"RuntimeDefault", "Localhost"}  # seccomp and AppArmor alike


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec.get("containers", []), *spec.get("ephemeralContainers", [])]


def _settings(spec: dict[str, Any], field: str) -> list[tuple[str, Any]]:
    """``(container, securityContext.<field>)`` of every container."""
    return [(c["name"], (c.get("securityContext") or {}).get(field)) for c in _containers(spec)]


def _pod(spec: dict[str, Any]) -> dict[str, Any]:
    return spec.get("securityContext") or {}


def _host_process(spec: dict[str, Any]) -> list[str]:
    settings = [("pod", _pod(spec).get("windowsOptions")), *_settings(spec, "windowsOptions")]
    return [who for who, options in settings if (options or {}).get("hostProcess")]


def _host_namespaces(spec: dict[str, Any]) -> list[str]:
    return [name for name in ("hostNetwork", "hostPID", "hostIPC") if spec.get(name)]


def _privileged(spec: dict[str, Any]) -> list[str]:
    return [who for who, value in _settings(spec, "privileged") if value]


def _baseline_capabilities(spec: dict[str, Any]) -> list[str]:
    return [who for who, caps in _settings(spec, "capabilities") if set((caps or {}).get("add", [])) - _BASELINE_CAPS]


def _host_path(spec: dict[str, Any]) -> list[str]:
    return [volume["name"] for volume in spec.get("volumes", []) if "hostPath" in volume]


def _host_ports(spec: dict[str, Any]) -> list[str]:
    return [c["name"] for c in _containers(spec) if any(port.get("hostPort") for port in c.get("ports", []))]


def _app_armor(spec: dict[str, Any]) -> list[str]:
    profiles = [("pod", _pod(spec).get("appArmorProfile")), *_settings(spec, "appArmorProfile")]
    return [who for who, profile in profiles if profile and profile.get("type") not in _GOOD_PROFILES]


def _selinux(spec: dict[str, Any]) -> list[str]:
    options = [("pod", _pod(spec).get("seLinuxOptions")), *_settings(spec, "seLinuxOptions")]
    return [
        who for who, o in options if o and (o.get("type", "") not in _SELINUX_TYPES or o.get("user") or o.get("role"))
    ]


def _proc_mount(spec: dict[str, Any]) -> list[str]:
    return [who for who, value in _settings(spec, "procMount") if value not in (None, "Default")]


def _seccomp_baseline(spec: dict[str, Any]) -> list[str]:
    profiles = [("pod", _pod(spec).get("seccompProfile")), *_settings(spec, "seccompProfile")]
    return [who for who, profile in profiles if (profile or {}).get("type") == "Unconfined"]


def _sysctls(spec: dict[str, Any]) -> list[str]:
    return [sysctl["name"] for sysctl in _pod(spec).get("sysctls", []) if sysctl["name"] not in _SAFE_SYSCTLS]


def _volume_types(spec: dict[str, Any]) -> list[str]:
    return [v["name"] for v in spec.get("volumes", []) if not set(v) - {"name"} <= _RESTRICTED_VOLUMES]


def _privilege_escalation(spec: dict[str, Any]) -> list[str]:
    return [who for who, value in _settings(spec, "allowPrivilegeEscalation") if value is not False]


def _run_as_non_root(spec: dict[str, Any]) -> list[str]:
    """Explicit false anywhere, or unset on a container while the pod does not say true."""
    pod = _pod(spec).get("runAsNonRoot")
    bad = ["pod"] if pod is False else []
    return bad + [
        who for who, value in _settings(spec, "runAsNonRoot") if value is False or (value is None and not pod)
    ]


def _run_as_user(spec: dict[str, Any]) -> list[str]:
    settings = [("pod", _pod(spec).get("runAsUser")), *_settings(spec, "runAsUser")]
    return [who for who, value in settings if value == 0]


def _seccomp_restricted(spec: dict[str, Any]) -> list[str]:
    """A bad type anywhere, or a container without a profile while the pod has no good one."""
    pod = (_pod(spec).get("seccompProfile") or {}).get("type")
    bad = ["pod"] if pod is not None and pod not in _GOOD_PROFILES else []
    return bad + [
        who
        for who, profile in _settings(spec, "seccompProfile")
        if (profile is None and pod not in _GOOD_PROFILES) or (profile and profile.get("type") not in _GOOD_PROFILES)
    ]


def _capabilities_restricted(spec: dict[str, Any]) -> list[str]:
    return [
        who
        for who, caps in _settings(spec, "capabilities")
        if "ALL" not in (caps or {}).get("drop", []) or set((caps or {}).get("add", [])) - {"NET_BIND_SERVICE"}
    ]


# (check id of pod-security-admission/policy, what it forbids, the check); baseline first, then restricted.
CHECKS = (
    ("windowsHostProcess", "Windows HostProcess", _host_process),
    ("hostNamespaces", "host network, PID or IPC namespace", _host_namespaces),
    ("privileged", "privileged containers", _privileged),
    ("capabilities_baseline", "capabilities added beyond the default set", _baseline_capabilities),
    ("hostPathVolumes", "hostPath volumes", _host_path),
    ("hostPorts", "host ports", _host_ports),
    ("appArmorProfile", "AppArmor profiles other than RuntimeDefault / Localhost", _app_armor),
    ("seLinuxOptions", "a forbidden SELinux type, or any user or role", _selinux),
    ("procMount", "a non-default /proc mount", _proc_mount),
    ("seccompProfile_baseline", "seccomp Unconfined", _seccomp_baseline),
    ("sysctls", "unsafe sysctls", _sysctls),
    ("restrictedVolumes", "volume types other than the restricted set", _volume_types),
    ("allowPrivilegeEscalation", "allowPrivilegeEscalation != false", _privilege_escalation),
    ("runAsNonRoot", "runAsNonRoot != true", _run_as_non_root),
    ("runAsUser", "runAsUser 0", _run_as_user),
    ("seccompProfile_restricted", "seccomp other than RuntimeDefault / Localhost, or unset", _seccomp_restricted),
    ("capabilities_restricted", "not dropping ALL, or adding beyond NET_BIND_SERVICE", _capabilities_restricted),
)  # fmt: skip


def violations(spec: dict[str, Any]) -> list[str]:
    """``check: what (where)`` for every ``restricted`` rule the pod spec breaks; empty: admitted."""
    return [f"{check}: {what} ({', '.join(found)})" for check, what, run in CHECKS if (found := run(spec))]


def pods(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """``(where, pod metadata, pod spec)`` of every pod the objects make (Argo WorkflowTemplates excluded: see
    ``k8s_rules.argo.workflow_pods``). InferenceService components become the pods KServe builds
    (``k8s_rules.kserve``): the predictor's ``model`` merged into its ServingRuntime's container, the transformer's
    container with KServe's arguments."""
    runtimes = [obj for obj in objects if obj["kind"] in ("ServingRuntime", "ClusterServingRuntime")]
    for obj in objects:
        where, kind, spec = f"{obj['kind']}/{obj['metadata']['name']}", obj["kind"], obj.get("spec", {})
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            yield where, spec["template"].get("metadata", {}), spec["template"]["spec"]
        elif kind == "CronJob":
            template = spec["jobTemplate"]["spec"]["template"]
            yield where, template.get("metadata", {}), template["spec"]
        elif kind == "Pod":
            yield where, obj["metadata"], spec
        elif kind == "InferenceService":
            yield from _inference_service_pods(obj, runtimes)
        elif kind in ("TrainingRuntime", "ClusterTrainingRuntime"):
            for job in spec["template"]["spec"]["replicatedJobs"]:
                template = job["template"]["spec"]["template"]
                yield f"{where}/{job['name']}", template.get("metadata", {}), template["spec"]


def _inference_service_pods(isvc: dict[str, Any], runtimes: list[dict[str, Any]]) -> Iterator[tuple[str, dict, dict]]:
    from k8s_rules import kserve

    where, spec = f"InferenceService/{isvc['metadata']['name']}", isvc["spec"]
    component_fields = ("model", "containers", "labels", "annotations", "minReplicas", "maxReplicas")
    yield f"{where}.predictor", {"labels": spec["predictor"].get("labels", {})}, kserve.predictor_pod(isvc, runtimes)
    if "transformer" in spec:
        transformer = spec["transformer"]
        pod = {key: value for key, value in transformer.items() if key not in component_fields}
        pod["containers"] = [kserve.transformer_container(isvc)]
        yield f"{where}.transformer", {"labels": transformer.get("labels", {})}, pod
