"""The table of benchmark scenarios: name -> module; each scenario module registers one function on import."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logad.errors import ConfigError

ScenarioFn = Callable[[argparse.Namespace], "BenchResult"]

_SCENARIOS: dict[str, ScenarioFn] = {}
_SCENARIO_MODULES: dict[str, str] = {
    "bertloganom": "logad.bench.scenarios.bertloganom",
    "contamination": "logad.bench.scenarios.contamination",
    "drift": "logad.bench.scenarios.drift",
    "few-labels": "logad.bench.scenarios.few_labels",
    "load": "logad.bench.scenarios.load",
    "logllm": "logad.bench.scenarios.logllm",
    "logllm-memory": "logad.bench.scenarios.logllm_memory",
    "logsentry": "logad.bench.scenarios.logsentry",
    "parse": "logad.bench.scenarios.parse",
    "partial": "logad.bench.scenarios.partial",
    "report": "logad.bench.scenarios.report",
    "serve": "logad.bench.scenarios.serve",
    "speed": "logad.bench.scenarios.speed",
    "standard": "logad.bench.scenarios.standard",
    "suite": "logad.bench.scenarios.suite",
    "unseen-templates": "logad.bench.scenarios.unseen_templates",
    "unstable": "logad.bench.scenarios.unstable",
}


@dataclass
class BenchResult:
    """Rows of one scenario's table, the column order to print, facts about the run, and named arrays (scores,
    labels, traces) saved beside the JSON for figures."""

    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def register_scenario(name: str) -> Callable[[ScenarioFn], ScenarioFn]:
    """Decorator registering a scenario function under ``name``."""

    def decorate(fn: ScenarioFn) -> ScenarioFn:
        _SCENARIOS[name] = fn
        return fn

    return decorate


def available_scenarios() -> list[str]:
    return sorted(_SCENARIO_MODULES)


def get_scenario(name: str) -> ScenarioFn:
    if name not in _SCENARIO_MODULES:
        raise ConfigError(f"unknown benchmark scenario {name!r}; available: {', '.join(available_scenarios())}")
    importlib.import_module(_SCENARIO_MODULES[name])
    return _SCENARIOS[name]
