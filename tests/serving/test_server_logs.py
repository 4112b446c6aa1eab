"""The servers' own logs: a client's 4xx is one INFO record without a traceback, records are JSON lines with the
request's tenant when asked, files rotate by size, and a request FastAPI cannot validate gets logad's 422 body."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from serving_helpers import predict_v1

from logad_serving.launch import LocalDeployment

MAX_BYTES = 4000


def _records(folder: Path) -> list[dict]:
    """The transformer's log records, oldest file first; every line must be one JSON object."""
    age = {path: int(path.suffix[1:]) if path.suffix[1:].isdigit() else 0 for path in folder.glob("transformer.log*")}
    files = sorted(age, key=age.__getitem__, reverse=True)  # transformer.log.2, .log.1, then .log
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


def test_client_errors_are_info_json_lines_in_rotated_files_and_422_is_logads_body(baseline, tmp_path) -> None:
    log_args = ["--logging-format", "json", "--log-max-bytes", str(MAX_BYTES), "--log-backups", "2"]
    state = ["--state", str(tmp_path / "state.db")]
    with LocalDeployment.create(baseline, "baseline", tmp_path, state, log_args=log_args) as deployment:
        url = deployment.transformer.url
        with httpx.Client(timeout=60) as client:
            unvalidated = client.post(f"{url}/v2/models/baseline/infer", json={"inputs": 3})
            assert unvalidated.status_code == 422
            assert list(unvalidated.json()) == ["error"] and "inputs" in unvalidated.json()["error"]
            for number in range(40):  # a bad flag: 400, many times, so the file rotates
                body = {"instances": ["x"], "flush": "yes"}
                reply = predict_v1(client, url, "baseline", body, "acme", **{"X-Request-Id": f"r-{number}"})
                assert reply.status_code == 400
    files = sorted(path.name for path in tmp_path.glob("transformer.log*"))
    assert files == ["transformer.log", "transformer.log.1", "transformer.log.2"]  # two backups kept
    assert all((tmp_path / name).stat().st_size <= MAX_BYTES for name in files[1:])

    records = _records(tmp_path)
    assert all({"time", "level", "logger", "message"} <= set(record) for record in records)
    assert not any("traceback" in record or "Traceback" in record["message"] for record in records)
    refused = [record for record in records if record.get("status") == 400]
    assert refused and all(record["level"] == "INFO" for record in refused)
    assert refused[-1]["tenant"] == "acme" and refused[-1]["request_id"] == "r-39"
    assert "flush" in refused[-1]["message"]
    assert not (tmp_path / "transformer.out").read_text().strip()  # nothing left outside the log records
