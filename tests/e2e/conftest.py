"""e2e fixtures: the running local stack, driven through its front ports like a user with curl would."""
from __future__ import annotations

import pytest
import requests

from support.shop import Shop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def shop(stack) -> Shop:
    with requests.Session() as http:
        yield Shop(stack, http)
