"""Kubernetes tooling that works without a cluster (the helm binary for rendering and linting the chart)."""

from logad.k8s.helm import HELM_DISTRIBUTION, helm_binary

__all__ = ["HELM_DISTRIBUTION", "helm_binary"]
