"""A tiny comparison-suite run shared by the suite tests: synthetic HDFS logs, small contenders, one run_suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_helpers import BLOCKS, TINY_DEEPLOG, new_run, tiny_logsentry

from logad.bench.common import Dataset
from logad.bench.scenario_table import BenchResult
from logad.bench.scenarios.suite import run_suite
from logad.bench.suite.contenders import CONTENDERS, Contender
from logad.data.dataset import DataSpec
from logad.data.synth import SynthConfig, generate


@pytest.fixture(scope="session")
def synth_sessions(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """A few thousand synthetic HDFS lines (300 blocks, 10% anomalous) without drift, in session windows."""
    folder = tmp_path_factory.mktemp("synth")
    generate(SynthConfig(kind="hdfs", blocks=BLOCKS, anomaly_rate=0.1, seed=1), folder)
    tenant = folder / "tenant-0"
    return Dataset("synth HDFS (session)", tenant / "HDFS.log", DataSpec(format="hdfs"), tenant / "anomaly_label.csv")


@pytest.fixture(scope="session")
def suite_contenders(tiny_bert_dir: Path) -> list[Contender]:
    """A supervised and an unsupervised baseline, a tiny DeepLog and a tiny LogSentry."""
    by_name = {c.name: c for c in CONTENDERS}
    return [
        by_name["decision-tree"],
        by_name["pca"],
        Contender("deeplog", "deeplog", TINY_DEEPLOG),
        Contender("logsentry", "logsentry", tiny_logsentry(tiny_bert_dir)),
    ]


@pytest.fixture(scope="session")
def suite_run(tmp_path_factory, synth_sessions, suite_contenders) -> tuple[Path, BenchResult]:
    """The bench folder after one whole tiny suite run (models, per-scenario files, report.html), and its result."""
    out = tmp_path_factory.mktemp("bench")
    return out, run_suite(new_run(out, synth_sessions, suite_contenders))
