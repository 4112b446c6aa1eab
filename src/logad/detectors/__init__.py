"""Detectors: one sub-package each, registered by name (see ``registry``)."""

from logad.detectors.base import Detector, FitContext
from logad.detectors.registry import available_detectors, get_detector_class, register_detector

__all__ = ["Detector", "FitContext", "available_detectors", "get_detector_class", "register_detector"]
