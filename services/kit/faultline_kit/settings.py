"""Settings every service shares, read from the environment when asked (never at import time)."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Mapping

from .topology import Topology


class SettingsError(ValueError):
    """An environment variable is missing or malformed."""


def env_str(environ: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = environ.get(name, default)
    if value is None or value == "":
        raise SettingsError(f"environment variable {name} is required")
    return value


def env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"environment variable {name} must be an integer, got {raw!r}") from exc


def env_float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SettingsError(f"environment variable {name} must be a number, got {raw!r}") from exc


@dataclass(frozen=True)
class KitSettings:
    """What the kit needs to wire transport for one service instance."""

    service: str
    instance_id: str
    kafka_bootstrap: str
    redis_url: str
    topic_partitions: int
    admin_token: str
    http_timeout_s: float
    clock_skew_ms: int
    breaker_fail_max: int
    breaker_reset_s: float
    retry_max_attempts: int
    retry_deadline_s: float
    retry_budget_ratio: float
    kafka_namespace: str
    # Redis through Sentinel (the HA profile): "host:port,..." of the Sentinels, and the primary's name there.
    redis_sentinels: str = ""
    redis_sentinel_master: str = "faultline"
    # Writes that must survive a failover wait for this many replicas (WAIT), at most this long; 0: no waiting.
    redis_wait_replicas: int = 0
    redis_wait_timeout_ms: int = 1000

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> "KitSettings":
        env = os.environ if environ is None else environ
        return cls(
            service=service,
            instance_id=env.get("FAULTLINE_INSTANCE_ID") or f"{service}-{socket.gethostname()}-{os.getpid()}",
            kafka_bootstrap=env_str(env, "FAULTLINE_KAFKA_BOOTSTRAP", "127.0.0.1:19092"),
            redis_url=env_str(env, "FAULTLINE_REDIS_URL", "redis://127.0.0.1:16379/0"),
            topic_partitions=env_int(env, "FAULTLINE_TOPIC_PARTITIONS", 6),
            admin_token=env_str(env, "FAULTLINE_ADMIN_TOKEN", "local-admin-token"),
            http_timeout_s=env_float(env, "FAULTLINE_HTTP_TIMEOUT_S", 2.0),
            clock_skew_ms=env_int(env, "FAULTLINE_CLOCK_SKEW_MS", 0),
            breaker_fail_max=env_int(env, "FAULTLINE_BREAKER_FAIL_MAX", 5),
            breaker_reset_s=env_float(env, "FAULTLINE_BREAKER_RESET_S", 5.0),
            retry_max_attempts=env_int(env, "FAULTLINE_RETRY_MAX_ATTEMPTS", 3),
            retry_deadline_s=env_float(env, "FAULTLINE_RETRY_DEADLINE_S", 5.0),
            retry_budget_ratio=env_float(env, "FAULTLINE_RETRY_BUDGET_RATIO", 0.2),
            kafka_namespace=env.get("FAULTLINE_KAFKA_NAMESPACE", ""),
            redis_sentinels=env.get("FAULTLINE_REDIS_SENTINELS", ""),
            redis_sentinel_master=env.get("FAULTLINE_REDIS_SENTINEL_MASTER") or "faultline",
            redis_wait_replicas=env_int(env, "FAULTLINE_REDIS_WAIT_REPLICAS", 0),
            redis_wait_timeout_ms=env_int(env, "FAULTLINE_REDIS_WAIT_TIMEOUT_MS", 1000),
        )

    @property
    def topology(self) -> Topology:
        return Topology(self.kafka_namespace)
