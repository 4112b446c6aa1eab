"""Helpers the serving tests share (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

import httpx

DETECTORS = ("baseline", "bertloganom", "logsentry", "logllm")


def hdfs_lines(synth_logs: Path, tenant: str, count: int | None = None) -> list[str]:
    lines = (synth_logs / tenant / "HDFS.log").read_text().splitlines()
    return lines[:count] if count else lines


def predict_v1(client: httpx.Client, url: str, name: str, body: dict, tenant: str | None, **headers: str):
    if tenant is not None:
        headers["X-Tenant-Id"] = tenant
    return client.post(f"{url}/v1/models/{name}:predict", json=body, headers=headers, timeout=120)
