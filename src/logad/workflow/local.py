"""Run a pipeline's DAG in this process, step by step, on local files (the embedded default)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from logad.errors import LogadError
from logad.jsonio import write_json_atomic
from logad.workflow.spec import PipelineParams, pipeline_steps

RUN_RECORD = "pipeline.json"


class PipelineStepFailed(LogadError):
    """A step exited with a non-zero status; later steps did not run."""


def run_local(
    detector: str, params: PipelineParams, run_command: Callable[[list[str]], int], announce: Any = print
) -> list[dict[str, Any]]:
    """Run every step of ``detector``'s pipeline in order through ``run_command`` (the `logad` CLI's ``main``: a
    step's arguments in, its exit status out); each step's standard output (its JSON result) goes to
    ``<workdir>/logs/<step>.out``, and the record of what ran (step, command, status, seconds, output) to
    ``<workdir>/pipeline.json`` after every step."""
    values = params.values()
    record: list[dict[str, Any]] = []
    steps = pipeline_steps(detector)
    for position, step in enumerate(steps, 1):
        command = step.command(values)
        announce(f"[{position}/{len(steps)}] {step.name}: logad {' '.join(command)}")
        output = Path(params.workdir) / "logs" / f"{step.name}.out"
        output.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with open(output, "w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
            status = run_command(command)
        seconds = round(time.perf_counter() - started, 2)
        record.append(
            {"step": step.name, "command": command, "status": status, "seconds": seconds, "output": str(output)}
        )
        write_json_atomic(Path(params.workdir) / RUN_RECORD, {"detector": detector, "steps": record})
        if status != 0:
            raise PipelineStepFailed(f"step {step.name!r} failed with exit status {status}; later steps did not run")
    return record
