"""Anomaly thresholds: static choices made on validation data (and, later, stateful drift-adaptive ones)."""
