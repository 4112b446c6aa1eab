"""The transformer's compare-and-set loop, in process: a write that keeps losing to other replicas is retried a
bounded number of times and then answered 409 with logad's error body, on every route that writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from logad.state import SqliteStateStore, StateConflict
from logad_serving.app import add_operator_routes
from logad_serving.errors import add_error_handlers
from logad_serving.transformer import WRITE_ATTEMPTS, TenantTransformer, TransformerSettings


class AlwaysBehind(SqliteStateStore):
    """A store where another replica always wrote first."""

    puts = 0

    def put(self, tenant: str, data: dict[str, Any], expected_version: int, **log: Any) -> int:
        self.puts += 1
        raise StateConflict(tenant, expected_version, expected_version + 1)


@pytest.fixture
def client(artifact_factory, tmp_path: Path) -> TestClient:
    store = AlwaysBehind(tmp_path / "state.db", "baseline")
    transformer = TenantTransformer("baseline", artifact_factory("baseline"), store, TransformerSettings())
    app = FastAPI()
    add_error_handlers(app)
    add_operator_routes(app, transformer)
    logged = {"window": "blk_1", "score": 0.9, "model_version": transformer.model_version}
    SqliteStateStore.put(store, "acme", {}, 0, append=[logged])  # a decision to give feedback on
    test_client = TestClient(app)
    test_client.store = store
    return test_client


@pytest.mark.parametrize(
    ("path", "body"),
    [("threshold/reset", None), ("feedback", {"feedback": [{"window": "blk_1", "label": "normal"}]})],
)
def test_a_lost_race_after_every_retry_is_a_409(client: TestClient, path: str, body: dict | None) -> None:
    reply = client.post(f"/logad/v1/tenants/acme/{path}", json=body)
    assert reply.status_code == 409
    assert reply.json() == {
        "error": "state of tenant 'acme' changed concurrently: expected version 1, stored version 2"
    }
    assert client.store.puts == WRITE_ATTEMPTS
    assert client.store.get("acme").version == 1
