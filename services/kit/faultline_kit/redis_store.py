"""Redis connections with timeouts, so a dead Redis fails fast instead of hanging a request."""
from __future__ import annotations

import redis


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=2.0,
        socket_connect_timeout=1.0,
        health_check_interval=10,
        retry_on_timeout=False,
    )
