"""The LogSentry benchmark's pre-training ablation follows the preset it runs."""

from logad.bench.scenarios.logsentry import pretraining_ablation
from logad.detectors.logsentry.config import PRESETS


def test_a_preset_without_pretraining_is_compared_with_one_epoch_of_it():
    assert PRESETS["cpu"]["pretrain_epochs"] == 0
    assert pretraining_ablation("cpu") == {"with pre-training (1 epoch)": {"pretrain_epochs": 1}}


def test_a_pretraining_preset_is_compared_without_it():
    assert pretraining_ablation("paper") == {"no pre-training": {"pretrain_epochs": 0}}
    assert pretraining_ablation(None) == {"no pre-training": {"pretrain_epochs": 0}}
