"""Every registered detector refuses to score or save before it is trained or loaded, with one error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from logad.data.types import LogSequence
from logad.detectors import get_detector_class
from logad.detectors.base import NotFittedError
from logad.detectors.registry import available_detectors
from logad.errors import LogadError
from logad.parsing.preprocessor import Preprocessor


@pytest.mark.parametrize("name", available_detectors())
def test_an_untrained_detector_says_so_instead_of_failing_inside(name: str, tmp_path: Path) -> None:
    cls = get_detector_class(name)
    detector = cls(cls.config_class(), Preprocessor())
    with pytest.raises(NotFittedError, match=f"the {name} detector is not trained or loaded") as raised:
        detector.score([LogSequence("w", ["open file a", "close file a"])])
    assert isinstance(raised.value, LogadError)  # the CLI prints it as one line
    with pytest.raises(NotFittedError):
        detector.save(tmp_path)
