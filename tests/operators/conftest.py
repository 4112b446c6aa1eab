"""Operator tests: make `logad_operator` and the chart's test helpers importable, let the reconcile timer tick fast,
and render the chart once per session for the tests that put the operator's objects beside the chart's."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
try:
    import logad_operator  # noqa: F401
except ImportError:  # until the editable install is refreshed with operators/ on the package path (pyproject has it)
    sys.path.insert(0, str(TESTS.parent / "operators"))
# chart_helpers and chart_schemas (helm template without a cluster, KServe's SDK schemas) under their own names.
sys.path.insert(0, str(TESTS / "charts"))

from chart_helpers import ALERTMANAGER, PRODUCTION_VALUES, Helm  # noqa: E402

from logad.k8s import HELM_DISTRIBUTION, helm_binary  # noqa: E402

# kopf fixes a timer's interval when logad_operator.handlers is imported: tick every 0.2 s in these tests.
os.environ.setdefault("LOGAD_RECONCILE_INTERVAL", "0.2")


@pytest.fixture(scope="session")
def chart(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """The chart rendered with values.yaml ("default"), ci/production-values.yaml ("production"), and with alerts,
    another OTLP tenant attribute and wall-clock session closing set ("alerting")."""
    try:
        importlib.metadata.distribution(HELM_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"helm comes from the package {HELM_DISTRIBUTION}, which is not installed")
    helm = Helm(helm_binary(), tmp_path_factory.mktemp("helm-home"))
    alerting = ["--set", f"serving.alerts.webhookUrl={ALERTMANAGER}", "--set", "serving.otlp.tenantAttribute=team"]
    alerting += ["--set", "serving.sessionIdleWallSeconds=600"]
    return {
        "default": helm.render(),
        "production": helm.render("--values", str(PRODUCTION_VALUES)),
        "alerting": helm.render(*alerting),
    }
