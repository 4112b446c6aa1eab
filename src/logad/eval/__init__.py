"""Metrics, threshold selection and evaluation reports."""
