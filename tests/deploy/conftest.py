"""tests/deploy: read the chart's rendered manifests, the Dockerfiles and skaffold.yaml; no cluster, no stack.

Fast (a few seconds) and offline: helm renders, kubernetes-validate carries the API schemas. Independent of the
session fixtures in tests/conftest.py, which start the local stack for the upper tiers.
"""
from __future__ import annotations

from typing import Any

import pytest

from deploy.rendering import CASES, render


@pytest.fixture(scope="session", params=CASES)
def case_objects(request) -> tuple[str, list[dict[str, Any]]]:
    """(case name, rendered objects) for every ci/*-values.yaml."""
    return request.param, render(request.param)


@pytest.fixture(scope="session")
def default_objects() -> list[dict[str, Any]]:
    return render(None)
