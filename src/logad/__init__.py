"""logad: train and serve log anomaly detectors."""

__version__ = "0.1.0"
