"""Shared fixtures: where the real data is, and tiny log files written on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest

from logad.data.shared import shared_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real Loghub data beside the project; tests that need it skip with a reason when it is absent."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data not found (set LOGAD_SHARED_DATA to run tests on real data)")
    return path
