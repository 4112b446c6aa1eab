"""`logad bench logllm-memory` on tiny shapes: both quantisations load through LogLLM's loader and train a step."""

from __future__ import annotations

import argparse

import torch

from logad.bench.scenario_table import get_scenario


def test_memory_scenario_measures_a_training_step_for_both_quantisations():
    torch.set_num_threads(1)
    result = get_scenario("logllm-memory")(argparse.Namespace(quick=True, seed=0))
    assert [row["quantization"] for row in result.rows] == ["nf4", "none"]
    expected_dtype = "bfloat16" if torch.cuda.is_available() else "float32"
    for row in result.rows:
        assert row["dtype"] == expected_dtype and row["messages"] == 16 and row["micro-batch"] == 2
        assert row["loaded GiB"] > 0 and row["peak GiB"] > 0 and row["step s"] > 0
