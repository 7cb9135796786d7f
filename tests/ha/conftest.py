"""The HA profile's own stack (`faultline up --ha`), 40 ports above the session's test stack, in .run/test-ha.

`make test-ha` runs this tier with the full forms of the experiments, `make test-ha HA_FORM=short` with the short
ones (FAULTLINE_HA_FORM).
"""
from __future__ import annotations

import os

import pytest

from support.stack import REPO, DEFAULT_PORT_OFFSET, LocalStack, shifted_ports, stack_environment

HA_PORT_SHIFT = 40


def ha_environment() -> dict[str, str]:
    env = stack_environment()
    offset = int(os.environ.get("FAULTLINE_TEST_PORT_OFFSET") or DEFAULT_PORT_OFFSET) + HA_PORT_SHIFT
    env.update(shifted_ports(offset))
    env["FAULTLINE_HOME"] = os.environ.get("FAULTLINE_TEST_HA_HOME", str(REPO / ".run" / "test-ha"))
    env.pop("FAULTLINE_PROFILE", None)
    return env


@pytest.fixture(scope="session")
def ha_form() -> str:
    form = os.environ.get("FAULTLINE_HA_FORM", "full")
    assert form in ("short", "full"), f"FAULTLINE_HA_FORM is 'short' or 'full', not {form!r}"
    return form


@pytest.fixture(scope="session")
def ha_stack():
    stack = LocalStack(ha_environment())
    stack.faultline("clean")
    try:
        stack.faultline("up", "--ha", timeout=900)
        yield stack
    finally:   # also when starting failed half-way: never leave three JVMs holding their ports
        if os.environ.get("FAULTLINE_KEEP_STACK") != "1":
            stack.faultline("down", check=False)


from support.browser import browser, browser_page, screenshot  # noqa: E402,F401  (fixtures for the console test)
