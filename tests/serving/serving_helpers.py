"""Helpers the serving tests share (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

import httpx

from logad.detectors.registry import available_detectors

DETECTORS = tuple(available_detectors())  # every registered detector (tiny configs: `tiny_detector_config`)
TOKENS = {"team-a": "secret-a", "team-b": "secret-b"}  # the `tokens_dir` fixture's bearer tokens


def bearer(tenant: str) -> dict[str, str]:
    """The Authorization header of ``tenant``'s token in ``TOKENS``."""
    return {"Authorization": f"Bearer {TOKENS[tenant]}"}


def hdfs_lines(synth_logs: Path, tenant: str, count: int | None = None) -> list[str]:
    lines = (synth_logs / tenant / "HDFS.log").read_text().splitlines()
    return lines[:count] if count else lines


def predict_v1(client: httpx.Client, url: str, name: str, body: dict, tenant: str | None, **headers: str):
    if tenant is not None:
        headers["X-Tenant-Id"] = tenant
    return client.post(f"{url}/v1/models/{name}:predict", json=body, headers=headers, timeout=120)


def inspect_tenant(client: httpx.Client, url: str, tenant: str, **headers: str) -> httpx.Response:
    return client.get(f"{url}/logad/v1/tenants/{tenant}/threshold", headers=headers)


def send_feedback(client: httpx.Client, url: str, tenant: str, items: list[dict], **headers: str) -> httpx.Response:
    """POST ``{"feedback": items}`` for ``tenant`` (the path's tenant; headers as given)."""
    return client.post(f"{url}/logad/v1/tenants/{tenant}/feedback", json={"feedback": items}, headers=headers)
