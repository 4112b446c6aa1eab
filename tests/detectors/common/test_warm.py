"""Warm outputs: the most frequent keys, written and read back row for row; a damaged file is a clear error."""

from __future__ import annotations

import numpy as np
import pytest

from logad.detectors.common.warm import most_frequent, read_warm_outputs, write_warm_outputs
from logad.errors import ConfigError


def test_most_frequent_keys_come_first_and_ties_keep_their_first_seen_order():
    assert most_frequent(["b", "a", "a", "c", "b", "a", "d"], 3) == ["a", "b", "c"]
    assert most_frequent(["a"], 0) == []


def test_outputs_round_trip_row_for_row_and_a_model_without_them_reads_as_empty(tmp_path):
    assert read_warm_outputs(tmp_path, "warm") == ([], {})
    vectors = np.arange(6, dtype=np.float32).reshape(3, 2)
    write_warm_outputs(tmp_path, "warm", ["x", "y\x1ez", ""], {"p": np.array([0.1, 0.2, 0.3]), "v": vectors})
    keys, outputs = read_warm_outputs(tmp_path, "warm")
    assert keys == ["x", "y\x1ez", ""]
    np.testing.assert_array_equal(outputs["v"], vectors)
    np.testing.assert_array_equal(outputs["p"], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="2 rows for 3 keys"):
        write_warm_outputs(tmp_path, "warm", ["x", "y", "z"], {"p": np.zeros(2)})


def test_a_damaged_array_file_is_refused_with_its_path(tmp_path):
    write_warm_outputs(tmp_path, "warm", ["x"], {"p": np.zeros(1)})
    (tmp_path / "warm.npz").write_bytes(b"not an npz")
    with pytest.raises(ConfigError, match=r"warm\.npz are unreadable"):
        read_warm_outputs(tmp_path, "warm")
