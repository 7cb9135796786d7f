"""Fixtures of the cluster tier (see support/cluster.py): the session starts the cluster when it is not up and
stops what it started; it always deploys the chart of the work tree."""
from __future__ import annotations

import os
from typing import Iterator

import pytest
import requests

from faultline_ops.cluster import kube, layout
from support.browser import browser, browser_page, screenshot  # noqa: F401  (fixtures for the console test)
from support.cluster import Cluster, cluster_env, make
from support.shop import Shop
from support.stack import LocalStack

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    settings = layout.from_env()
    started = not kube.api_ready(settings) if settings.kubeconfig.exists() else True
    if started:
        make("cluster-up", 3600)
    make("cluster-deploy", 1800)
    try:
        yield Cluster(settings, LocalStack(cluster_env(settings)))
    finally:
        if started and os.environ.get("FAULTLINE_KEEP_CLUSTER") != "1":
            make("cluster-down", 300)


@pytest.fixture()
def shop(cluster: Cluster) -> Iterator[Shop]:
    with requests.Session() as http:
        yield Shop(cluster.stack, http)
