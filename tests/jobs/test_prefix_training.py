"""Training on prefixes of normal windows (``TrainConfig.prefix_events``), through `logad train`'s runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from logad.artifact import read_manifest
from logad.data.dataset import DataSpec, load_windows
from logad.data.splits import SplitSpec, split_sequences
from logad.data.synth import SynthConfig, generate
from logad.jobs.train import TrainRequest, train_model
from logad.jobs.train_config import TrainConfig

SPLIT = "chrono:0.8"


def test_prefixes_of_normal_training_windows_are_trained_on_too(tmp_path: Path) -> None:
    generate(SynthConfig(kind="hdfs", blocks=150, anomaly_rate=0.1, seed=3), tmp_path / "synth")
    logs, labels = tmp_path / "synth" / "tenant-0" / "HDFS.log", tmp_path / "synth" / "tenant-0" / "anomaly_label.csv"
    spec = DataSpec(format="hdfs").resolved()
    trained_on = {}
    for prefixes in ((), (3, 6)):
        request = TrainRequest("baseline", logs, spec, tmp_path / f"model{len(prefixes)}", labels, SPLIT)
        manifest = train_model(request, TrainConfig(prefix_events=prefixes, detector={"model": "pca"}))
        trained_on[prefixes] = manifest.metrics["split"]["trained_on"]
        assert read_manifest(request.out).prefix_events == list(prefixes)  # serving reads it to warn
    train = split_sequences(load_windows(logs, spec, labels).sequences, SplitSpec.parse(SPLIT), 0.1).train
    normal = [w for w in train if w.label != 1]
    assert trained_on[()] == len(normal)
    assert trained_on[(3, 6)] - trained_on[()] == sum(len(w) > 3 for w in normal) + sum(len(w) > 6 for w in normal)


@pytest.mark.parametrize("bad", [(0,), (2, -1), ("5",)])
def test_prefix_lengths_must_be_positive_integers(bad: tuple) -> None:
    with pytest.raises(ValueError, match="prefix_events must be integers >= 1"):
        TrainConfig(prefix_events=bad)
