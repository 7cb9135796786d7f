"""e2e fixtures: the running local stack, driven through its front ports like a user with curl would."""
from __future__ import annotations

import time

import pytest
import requests

from support.background_load import BackgroundLocust, users_asked
from support.shop import Shop
from support.stack import REPO

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def shop(stack) -> Shop:
    with requests.Session() as http:
        yield Shop(stack, http)


@pytest.fixture(scope="session", autouse=True)
def background_shoppers(request):
    """FAULTLINE_E2E_BACKGROUND_USERS=N: Locust shoppers against the test stack for the whole tier (off by default)."""
    users = users_asked()
    if not users:
        yield None
        return
    stack = request.getfixturevalue("stack")
    reports = REPO / "reports" / "e2e-under-load" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    locust = BackgroundLocust(stack, users, reports).start()
    try:
        yield locust
    finally:
        print("\n" + locust.stop())
