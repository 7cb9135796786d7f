"""Session fixtures that start (and stop) the real Kafka, Redis, Mailpit and services the upper tiers need.

Unit tests use none of them. Set FAULTLINE_KEEP_STACK=1 to leave the test stack running after the session.
"""
from __future__ import annotations

import os

import pytest

from support.stack import LocalStack, stack_environment


@pytest.fixture(scope="session")
def local_stack() -> LocalStack:
    return LocalStack(stack_environment())


@pytest.fixture(scope="session")
def infra(local_stack: LocalStack):
    """Kafka, Redis and Mailpit, fresh for this session (data of earlier runs is deleted first)."""
    local_stack.faultline("clean")
    try:
        local_stack.faultline("up", "--infra-only")
        yield local_stack
    finally:  # also when starting failed half-way: never leave a half-started stack holding its ports
        if os.environ.get("FAULTLINE_KEEP_STACK") != "1":
            local_stack.faultline("down", check=False)


@pytest.fixture(scope="session")
def stack(infra: LocalStack):
    """The whole local stack: infra plus two replicas of each service behind HAProxy, all ready."""
    infra.faultline("up")
    return infra
