"""Fixtures of the detector tests; a module's own fixture of the same name takes precedence."""

from __future__ import annotations

import pytest
from cycle_logs import CYCLE, cycle_message

from logad.parsing.preprocessor import Preprocessor


@pytest.fixture(scope="module")
def preprocessor() -> Preprocessor:
    """A template store fitted on every template of the cyclic toy logs (not on "panic")."""
    pre = Preprocessor()
    pre.fit(cycle_message(t, n) for n in range(3) for t in range(CYCLE))
    return pre
