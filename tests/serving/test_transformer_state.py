"""The transformer's per-tenant state on real servers: kill -9, isolation, auth, bad input, concurrent replicas."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
from serving_helpers import bearer, hdfs_lines, inspect_tenant, predict_v1

from logad.data.formats import get_format
from logad.data.windows import WindowSpec, make_windows
from logad.streaming import parse_lines
from logad_serving.launch import free_port
from redis_server import RedisServer

SESSION = WindowSpec.parse(r"session:blk_-?\d+")


def _offline_ids(lines: list[str]) -> list[str]:
    records, _ = parse_lines(lines, get_format("hdfs"))
    return sorted(w.id for w in make_windows(records, SESSION))


def test_state_survives_kill_9_and_restart_without_losing_acknowledged_lines(baseline, synth_logs, deploy):
    deployment = deploy(baseline)
    url, name = deployment.transformer.url, deployment.transformer.name
    lines = hdfs_lines(synth_logs, "tenant-1", 600)
    acknowledged = 0
    with httpx.Client() as client:
        assert predict_v1(client, url, name, {"instances": lines[:200]}, "acme").status_code == 200
        acknowledged = 200
        before = inspect_tenant(client, url, "acme").json()
        assert before["open_windows"] > 0 and before["lines"] == 200

        # kill -9 while requests are in flight: every answered request must be in the state after the restart.
        stop = threading.Event()

        def keep_sending() -> int:
            sent, position = 0, 200
            with httpx.Client() as sender:
                while not stop.is_set() and position < 400:
                    try:
                        reply = predict_v1(sender, url, name, {"instances": lines[position : position + 10]}, "acme")
                    except httpx.HTTPError:
                        break
                    if reply.status_code != 200:
                        break
                    sent, position = sent + 10, position + 10
            return sent

        with ThreadPoolExecutor(1) as pool:
            sending = pool.submit(keep_sending)
            while inspect_tenant(client, url, "acme").json()["lines"] < 260 and not sending.done():
                pass
            deployment.transformer.kill()
            stop.set()
            acknowledged += sending.result()
        deployment.transformer.start().wait_ready()
        after = inspect_tenant(client, url, "acme").json()
        assert acknowledged <= after["lines"] <= acknowledged + 10  # at most the one unanswered request landed
        delivered = after["lines"]

        rest = predict_v1(client, url, name, {"instances": lines[delivered:], "flush": True}, "acme")
        assert rest.status_code == 200, rest.text
        replay = predict_v1(client, url, name, {"instances": [], "flush": True}, "acme").json()
        assert replay["predictions"] == [] and replay["open_windows"] == 0
    # Windows completed across the crash are exactly those of the whole stream: no line was lost or doubled.
    final = inspect_tenant(httpx.Client(), url, "acme").json()
    assert final["lines"] == len(lines) and final["windows"] == len(_offline_ids(lines))


def test_tenants_are_isolated_and_need_their_own_token(baseline, synth_logs, deploy, tokens_dir):
    deployment = deploy(baseline, "--tokens-dir", str(tokens_dir))
    url, name = deployment.transformer.url, deployment.transformer.name
    lines = hdfs_lines(synth_logs, "tenant-1", 300)
    auth_a, auth_b = bearer("team-a"), bearer("team-b")
    with httpx.Client() as client:
        assert predict_v1(client, url, name, {"instances": lines, "flush": True}, "team-a", **auth_a).status_code == 200
        for headers in ({}, auth_b, {"Authorization": "secret-a"}):
            refused = predict_v1(client, url, name, {"instances": lines}, "team-a", **headers)
            assert refused.status_code == 401 and "team-a" in refused.json()["error"]
            assert inspect_tenant(client, url, "team-a", **headers).status_code == 401
        assert predict_v1(client, url, name, {"instances": lines}, "team-c", **auth_a).status_code == 401

        a_state = inspect_tenant(client, url, "team-a", **auth_a).json()
        b_state = inspect_tenant(client, url, "team-b", **auth_b).json()
        assert a_state["windows"] > 0 and a_state["state_version"] == 1
        assert b_state["windows"] == 0 and b_state["lines"] == 0 and b_state["state_version"] == 0

        reset = client.post(f"{url}/logad/v1/tenants/team-a/threshold/reset", headers=auth_a).json()
        assert reset["threshold_resets"] == 1 and reset["windows"] == a_state["windows"]
        assert inspect_tenant(client, url, "team-b", **auth_b).json() == b_state
        assert client.post(f"{url}/logad/v1/tenants/team-b/threshold/reset", headers=auth_a).status_code == 401


def test_every_bad_input_gets_a_4xx_with_a_message_and_changes_nothing(baseline, synth_logs, deploy):
    deployment = deploy(baseline, "--max-body-bytes", "60000", "--max-lines", "150")
    url, name = deployment.transformer.url, deployment.transformer.name
    lines = hdfs_lines(synth_logs, "tenant-1", 100)
    v1, v2 = f"{url}/v1/models/{name}:predict", f"{url}/v2/models/{name}/infer"
    tenant = {"X-Tenant-Id": "acme"}
    json_type = {**tenant, "Content-Type": "application/json"}

    def v2_body(datatype="BYTES", shape=None, input_name="lines"):
        tensor = {"name": input_name, "shape": shape or [len(lines)], "datatype": datatype, "data": lines}
        return {"inputs": [tensor]}

    cases = [
        ("malformed JSON", v1, {"content": b'{"instances": [', "headers": json_type}, 400),
        ("not JSON", v1, {"content": b"hello", "headers": {**tenant, "Content-Type": "text/plain"}}, 400),
        ("JSON array", v1, {"json": lines, "headers": tenant}, 400),
        ("instances not a list", v1, {"json": {"instances": "x"}, "headers": tenant}, 400),
        ("a number as a line", v1, {"json": {"instances": [1]}, "headers": tenant}, 400),
        ("no tenant", v1, {"json": {"instances": lines}}, 400),
        ("bad tenant name", v1, {"json": {"instances": lines}, "headers": {"X-Tenant-Id": "../etc"}}, 400),
        ("tenants disagree", v1, {"json": {"instances": lines, "tenant": "other"}, "headers": tenant}, 400),
        ("bad flag", v1, {"json": {"instances": lines, "flush": "yes"}, "headers": tenant}, 400),
        ("non-UTF-8", v1, {"content": b'{"instances": ["\xff\xfe"]}', "headers": json_type}, 400),
        ("too many lines", v1, {"json": {"instances": lines * 2}, "headers": tenant}, 400),
        ("oversized body", v1, {"json": {"instances": ["x" * 70000]}, "headers": tenant}, 413),
        ("v2 wrong datatype", v2, {"json": v2_body("FP32"), "headers": tenant}, 400),
        ("v2 wrong shape", v2, {"json": v2_body(shape=[3]), "headers": tenant}, 400),
        ("v2 missing input", v2, {"json": v2_body(input_name="text"), "headers": tenant}, 400),
        ("v2 malformed", v2, {"content": b'{"inputs": 3}', "headers": json_type}, 422),
        ("unknown version", f"{url}/v2/models/{name}/versions/nope/infer", {"json": v2_body(), "headers": tenant}, 404),
    ]
    with httpx.Client() as client:
        before = inspect_tenant(client, url, "acme").json()
        for label, target, request, status in cases:
            reply = client.post(target, **request)
            assert reply.status_code == status, (label, reply.text)
            assert reply.text, label
        assert inspect_tenant(client, url, "acme").json() == before  # no bad request touched the tenant's state

        # The predictor refuses bad windows and other model versions the same way.
        direct = f"{deployment.predictor.url}/v1/models/{name}:predict"
        assert client.post(direct, json={"instances": [{"messages": []}]}).status_code == 400
        assert client.post(direct, json={"instances": [{"messages": ["a"]}], "model_version": "x"}).status_code == 404
        assert client.post(direct, json={"instances": [{"messages": ["a"], "timestamps": [1, 2]}]}).status_code == 400

        # Lines that do not match the model's log format are answered back by number, not silently dropped.
        mixed = predict_v1(client, url, name, {"instances": [lines[0], "garbage", "", lines[1]]}, "acme").json()
        assert [p["line"] for p in mixed["rejected_lines"]] == [2, 3]


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_replicas_racing_lose_no_update_and_answer_committed_or_409_never_500(
    backend, baseline, synth_logs, deploy, tmp_path
):
    redis = RedisServer(tmp_path / "redis-state.db") if backend == "redis" else None
    deployment = deploy(baseline, *(["--state", redis.url] if redis else []))
    first = deployment.transformer
    others = [
        replace(first, port=free_port(), log_path=tmp_path / f"replica-{i}.log", process=None).start()
        for i in range(2, 5)
    ]
    replicas = [first, *(replica.wait_ready() for replica in others)]
    try:
        _many_tenants_on_two_replicas(replicas[:2], hdfs_lines(synth_logs, "tenant-1", 200))
        lines = hdfs_lines(synth_logs, "tenant-1", 400)
        chunks = [lines[i : i + 10] for i in range(0, len(lines), 10)]

        def send(job: tuple[int, list[str]]) -> int:
            index, chunk = job  # every chunk of the one tenant races the others, on all four replicas
            with httpx.Client() as client:
                return predict_v1(client, replicas[index % 4].url, first.name, {"instances": chunk}, "busy").status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(send, enumerate(chunks)))
        assert set(codes) <= {200, 409}, codes
        with httpx.Client() as client:
            state = inspect_tenant(client, replicas[-1].url, "busy").json()
        assert state["lines"] == 10 * codes.count(200), "every committed request counted once, every 409 not at all"
    finally:
        for replica in others:
            replica.stop()
        deployment.stop()
        if redis:
            redis.stop()


def _many_tenants_on_two_replicas(replicas, lines: list[str]) -> None:
    """24 tenants' chunks shuffled over two replicas, racing each other: every line counted, every window closed."""
    tenants = [f"tenant-{i:02d}" for i in range(24)]
    chunks = [(tenant, lines[i : i + 25]) for tenant in tenants for i in range(0, len(lines), 25)]
    random.Random(0).shuffle(chunks)
    name = replicas[0].name

    def send(job: tuple[int, tuple[str, list[str]]]) -> int:
        index, (tenant, chunk) = job
        with httpx.Client() as client:
            return predict_v1(client, replicas[index % 2].url, name, {"instances": chunk}, tenant).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(send, enumerate(chunks)))
    assert codes == [200] * len(chunks)
    with httpx.Client() as client:
        for tenant in tenants:
            flushed = predict_v1(client, replicas[1].url, name, {"instances": [], "flush": True}, tenant)
            state = inspect_tenant(client, replicas[0].url, tenant).json()
            assert state["lines"] == len(lines) and state["windows"] == len(_offline_ids(lines)), tenant
            assert flushed.status_code == 200 and state["open_windows"] == 0
