"""The LogSentry benchmark: its pre-training ablation follows the preset, its run folders are plain names."""

from logad.bench.scenarios.logsentry import pretraining_ablation, run_folder
from logad.detectors.logsentry.config import PRESETS


def test_a_preset_without_pretraining_is_compared_with_one_epoch_of_it():
    assert PRESETS["cpu"]["pretrain_epochs"] == 0
    assert pretraining_ablation("cpu") == {"with pre-training (1 epoch)": {"pretrain_epochs": 1}}


def test_a_pretraining_preset_is_compared_without_it():
    assert pretraining_ablation("paper") == {"no pre-training": {"pretrain_epochs": 0}}
    assert pretraining_ablation(None) == {"no pre-training": {"pretrain_epochs": 0}}


def test_run_folders_are_plain_names():
    assert run_folder("with pre-training (1 epoch)") == "with-pre-training--1-epoch"
    assert run_folder("10% labels") == "10pct-labels"
