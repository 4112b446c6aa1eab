"""The README's curl example for the transformer, run as printed (only host and port substituted) against a real
`logad serve`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from serve_process import LogadServe

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_predict_command() -> str:
    """The shell command of the Serving section's example that posts lines to the transformer (continuation lines,
    ``\\`` or ``|``, joined)."""
    section = README.read_text().split("\n## Serving", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's Serving section has no bash example"
    commands = re.split(r"(?<![\\|])\n", block.group(1))
    found = [command for command in commands if ":predict" in command and command.lstrip().startswith(("jq", "curl"))]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_the_readme_curl_example_returns_decisions(artifact_factory, synth_logs, tmp_path) -> None:
    command = readme_predict_command()
    assert "localhost:8080" in command
    data = tmp_path / "data" / "synth" / "tenant-1"
    data.mkdir(parents=True)
    shutil.copy(synth_logs / "tenant-1" / "HDFS.log", data / "HDFS.log")
    model = artifact_factory("baseline")
    with LogadServe(model, "baseline", tmp_path / "serve", "--log-format", "json") as serve:
        serve.wait_ready()
        run = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command.replace("localhost:8080", f"127.0.0.1:{serve.port}")],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer.get("predictions"), answer  # a 4xx would be {"error": ...}
    assert all({"id", "score", "threshold", "anomalous"} <= set(decision) for decision in answer["predictions"])
    log = (serve.logs_dir / "transformer.log").read_text().splitlines()
    assert log and all(json.loads(line)["level"] for line in log)  # `logad serve --log-format json` reached it
