"""Readiness checks, each answering one question with a short timeout: is this component usable now?"""

from __future__ import annotations

import logging
import socket
import time
import urllib.error
import urllib.request
from typing import Callable


def http_status(url: str, timeout: float = 1.0) -> int | None:
    """The HTTP status of GET url, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


def http_ok(url: str, timeout: float = 1.0) -> bool:
    return http_status(url, timeout) == 200


def tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_ping(host: str, port: int, timeout: float = 1.0) -> bool:
    import redis

    client = redis.Redis(host=host, port=port, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def kafka_metadata(bootstrap: str, timeout: float = 3.0) -> bool:
    """True when a broker of `bootstrap` (host:port[,host:port...]) answers a metadata request within the timeout."""
    addresses = [address.strip().rpartition(":") for address in bootstrap.split(",") if address.strip()]
    if not any(tcp_open(host, int(port)) for host, _, port in addresses):
        return False  # skip the client: it would log connection errors while the broker starts
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    millis = int(timeout * 1000)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap, client_id="faultline-probe",
            request_timeout_ms=millis, bootstrap_timeout_ms=millis,
        )
    except (KafkaError, OSError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def wait_until(check: Callable[[], bool], deadline_s: float, interval_s: float = 0.25) -> bool:
    """Poll `check` until it answers True or the deadline passes; return its last answer."""
    end = time.monotonic() + deadline_s
    while True:
        if check():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(interval_s)


def kafka_node_ready(host: str, port: int, timeout: float = 3.0) -> bool:
    """One Kafka node (not the cluster) answers a metadata request."""
    return kafka_metadata(f"{host}:{port}", timeout)
