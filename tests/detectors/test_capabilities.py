"""What detectors declare for the platform (``logad.detectors.capabilities``), read by name without their code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from logad.detectors.baseline import BaselineConfig, BaselineDetector
from logad.detectors.capabilities import KnowledgeBaseDetector
from logad.detectors.registry import available_detectors, detector_capabilities, get_detector_class
from logad.errors import ConfigError


@pytest.mark.parametrize("name", available_detectors())
def test_each_class_declares_what_its_package_declares(name: str):
    cls = get_detector_class(name)
    declared = detector_capabilities(name)
    assert cls.capabilities is declared and declared.stages
    assert len({stage.name for stage in declared.stages}) == len(declared.stages)
    assert bool(declared.handover) == (len(declared.stages) > 1)  # several stages hand over a checkpoint
    # A detector that declares a knowledge base implements the protocol `logad kb` and serving use, and only then.
    assert issubclass(cls, KnowledgeBaseDetector) == declared.knowledge_base


def test_declarations_are_read_without_importing_any_detector():
    """The operator's image has no torch: reading every declaration imports none of the detectors' code."""
    code = (
        "import sys\n"
        "from logad.detectors.registry import available_detectors, detector_capabilities\n"
        "[detector_capabilities(name) for name in available_detectors()]\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'pymilvus', 'transformers') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_an_unknown_detector_is_refused():
    with pytest.raises(ConfigError, match="unknown detector 'nosuch'"):
        detector_capabilities("nosuch")


def test_the_baseline_is_supervised_as_its_model_is_and_trains_without_gpus():
    assert BaselineDetector.supervised_for(BaselineConfig(model="decision_tree"))
    assert not BaselineDetector.supervised_for(BaselineConfig(model="pca"))
    assert not detector_capabilities("baseline").gpus
