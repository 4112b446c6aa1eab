"""A kmock Kubernetes API for the operator tests, kopf running against it, and an async client for the test side.

kmock's emulator stores objects, serves list/watch/get/create/patch/delete and finalizer-blocked deletion. An API
server also stamps objects; :class:`ApiServer` adds that: names from ``generateName``, ``uid``,
``creationTimestamp``, ``resourceVersion`` (kopf's patches test it), ``generation`` (bumped by spec changes),
``201 Created``, and watches that start after the listed ``resourceVersion`` (kmock replays every object,
which made kopf handle a stale copy). Not emulated: validation against the CRD schema, label selectors (the
operator filters by labels itself), owner-reference garbage collection, and the KServe and Argo controllers
(the tests play them by patching objects).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import kmock
import kopf
import kubernetes.config.kube_config
import pytest
from kmock._internal import dicts, enums

from logad_operator.resources import INFERENCE_SERVICES, LOG_DETECTORS, WORKFLOWS, Kind

NAMESPACE = "team-space"
VERBS = {"get", "list", "watch", "create", "patch", "update", "delete"}


@attrs.define(kw_only=True)
class ApiServer(kmock.KubernetesEmulator):
    """kmock's emulator with the fields a real API server stamps on objects."""

    _last_version: int = attrs.field(default=0, init=False)

    async def _handle(self, request: kmock.Request) -> Any:
        if request.resource is not None and request.action == enums.action.CREATE and isinstance(request.data, dict):
            self._stamp_new(request.data, request.namespace)
        elif request.resource is not None and request.action == enums.action.UPDATE and request.name is not None:
            self._stamp_change(request)
        return await super()._handle(request)

    async def _serve_create(self, request: kmock.Request) -> kmock.Response:
        return kmock.Response(status=201, payload=await super()._serve_create(request))

    async def _serve_list(self, request: kmock.Request) -> Any:
        result = await super()._serve_list(request)
        result["metadata"]["resourceVersion"] = str(self._last_version)
        return result

    async def _serve_watch(self, request: kmock.Request) -> AsyncIterator[Any]:
        since = request.params.get("resourceVersion", "")
        async for event in super()._serve_watch(request):
            listed = since.isdigit() and isinstance(event, dict) and event.get("type") == "ADDED"
            if listed and int(event["object"]["metadata"].get("resourceVersion", "0")) <= int(since):
                continue  # already in the listing the client started from
            yield event

    def _next_version(self) -> str:
        self._last_version += 1
        return str(self._last_version)

    def _stamp_new(self, body: dict[str, Any], namespace: str | None) -> None:
        meta = body.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        if namespace:
            meta.setdefault("namespace", namespace)
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        meta.update(resourceVersion=self._next_version(), generation=1)

    def _stamp_change(self, request: kmock.Request) -> None:
        key = (request.resource, request.namespace, request.name)
        if key not in self.objects or self.objects[key].deleted:
            return
        old = copy.deepcopy(self.objects[key].raw)
        new = dicts.patch_dict(copy.deepcopy(old), request.data)
        stamps: dict[str, Any] = {"resourceVersion": self._next_version()}
        if new.get("spec") != old.get("spec"):
            stamps["generation"] = old["metadata"].get("generation", 1) + 1
        if isinstance(request.data, dict):
            request.data.setdefault("metadata", {}).update(stamps)
        else:  # a JSON patch
            request.data.extend({"op": "add", "path": f"/metadata/{k}", "value": v} for k, v in stamps.items())


def declare_resources(server: ApiServer) -> None:
    """What kopf discovers: the custom resources, plus CRDs and namespaces (kopf waits for them)."""
    info = kmock.ResourceInfo
    server.resources["logad.io/v1alpha1/logdetectors"] = info(
        kind="LogDetector", namespaced=True, verbs=VERBS, subresources={"status"}
    )
    server.resources["serving.kserve.io/v1beta1/inferenceservices"] = info(
        kind="InferenceService", namespaced=True, verbs=VERBS, subresources={"status"}
    )
    server.resources["argoproj.io/v1alpha1/workflows"] = info(kind="Workflow", namespaced=True, verbs=VERBS)
    server.resources["apiextensions.k8s.io/v1/customresourcedefinitions"] = info(
        kind="CustomResourceDefinition", namespaced=False, verbs={"list", "watch", "get"}
    )
    # Declared for discovery only: listing /api/v1/namespaces trips kmock's path parser, so kopf runs cluster-wide.
    server.resources["v1/namespaces"] = info(kind="Namespace", namespaced=False, verbs={"list", "watch", "get"})
    server.resources["v1/events"] = info(kind="Event", namespaced=True, verbs={"create"})


class Client:
    """The test's side of the API (HTTP, so kopf's watches see every change)."""

    def __init__(self, session: aiohttp.ClientSession, server: ApiServer) -> None:
        self.session, self.server = session, server

    @staticmethod
    def _path(kind: Kind, name: str = "") -> str:
        base = f"/apis/{kind.group}/{kind.version}/namespaces/{NAMESPACE}/{kind.plural}"
        return f"{base}/{name}" if name else base

    async def create(self, kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(self._path(kind), json=body) as response:
            assert response.status == 201, await response.text()
            return await response.json()

    async def patch(self, kind: Kind, name: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/merge-patch+json"}
        async with self.session.patch(self._path(kind, name), json=body, headers=headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def delete(self, kind: Kind, name: str) -> None:
        async with self.session.delete(self._path(kind, name)) as response:
            assert response.status == 200, await response.text()

    def get(self, kind: Kind, name: str) -> dict[str, Any] | None:
        key = (kmock.resource(kind.group, kind.version, kind.plural), NAMESPACE, name)
        if key not in self.server.objects or self.server.objects[key].deleted:
            return None
        return copy.deepcopy(self.server.objects[key].raw)

    def all(self, kind: Kind) -> list[dict[str, Any]]:
        resource = kmock.resource(kind.group, kind.version, kind.plural)
        return [
            copy.deepcopy(obj.raw)
            for (res, _, _), obj in self.server.objects.items()
            if res == resource and not obj.deleted
        ]

    def workflows(self) -> list[dict[str, Any]]:
        return sorted(self.all(WORKFLOWS), key=lambda wf: wf["metadata"]["labels"]["logad.io/run"])

    def service(self, name: str) -> dict[str, Any] | None:
        return self.get(INFERENCE_SERVICES, name)

    def detector(self, name: str) -> dict[str, Any] | None:
        return self.get(LOG_DETECTORS, name)

    def history(self, kind: Kind, name: str) -> list[dict[str, Any]]:
        """Every version ``kind/name`` has had, oldest first."""
        key = (kmock.resource(kind.group, kind.version, kind.plural), NAMESPACE, name)
        return [copy.deepcopy(dict(version)) for version in self.server.objects[key].history if version is not None]

    def versions(self) -> dict[tuple[str, str], tuple[int, Any]]:
        """Every stored object (events aside) with its number of versions and content: equal means untouched."""
        return {
            (resource.plural, name): (len(obj.history), copy.deepcopy(obj.raw))
            for (resource, _, name), obj in self.server.objects.items()
            if resource.plural != "events" and not obj.deleted
        }

    def reads(self, kind: Kind) -> int:
        """List requests made for ``kind`` so far."""
        return sum(
            1 for r in self.server if r.action == enums.action.LIST and r.resource and r.resource.plural == kind.plural
        )


async def eventually(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def operator(server: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Client]:
    """Run the operator (kopf, all handlers of logad_operator.handlers) against ``server``; yield a client."""
    import logad_operator.handlers  # noqa: F401  (registers the handlers with kopf)

    declare_resources(server)
    url = str(server.url).rstrip("/")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: kmock\n"
        f"clusters: [{{name: kmock, cluster: {{server: '{url}'}}}}]\n"
        "users: [{name: test, user: {token: test}}]\n"
        "contexts: [{name: kmock, context: {cluster: kmock, user: test}}]\n"
    )
    # The operator logs in like in a cluster (kopf.login_via_client); here the kubeconfig names the emulator.
    monkeypatch.setattr(kubernetes.config.kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(kubeconfig))
    stop = asyncio.Event()
    task = asyncio.create_task(kopf.operator(clusterwide=True, standalone=True, stop_flag=stop))
    try:
        async with aiohttp.ClientSession(base_url=url) as session:
            yield Client(session, server)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
