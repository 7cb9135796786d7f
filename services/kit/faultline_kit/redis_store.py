"""Redis connections with timeouts, so a dead Redis fails fast instead of hanging a request.

With Sentinels (FAULTLINE_REDIS_SENTINELS) the client asks them for the current primary on every new connection,
and drops its connections when the node it talks to answers READONLY (demoted by a failover), so a promotion is
followed without a restart. Replication stays asynchronous: `confirm_replicated` is how a caller that must not lose
a write (inventory's reservations, order's orders) learns whether a replica has it.
"""
from __future__ import annotations

from urllib.parse import urlparse

import redis
from redis.sentinel import Sentinel

SOCKET_TIMEOUT_S = 2.0
CONNECT_TIMEOUT_S = 1.0
SENTINEL_TIMEOUT_S = 0.5


class ReplicationUnconfirmed(redis.exceptions.ConnectionError):
    """A write reached the primary but fewer replicas than required acknowledged it in time.

    A ConnectionError on purpose: callers (the consumers' Redis breaker) treat it as Redis being unusable for
    writes that must survive a failover, and retry later instead of acting on the write.
    """


class WriteNotHeld(ReplicationUnconfirmed):
    """The primary answering now does not hold the write at all: a failover (or a restart) came between the write
    and its confirmation and the write is gone. Never acknowledge it; a retry writes it again."""


def parse_sentinels(addresses: str) -> list[tuple[str, int]]:
    """"host:port,host:port" -> [(host, port), ...]; empty for ""."""
    out = []
    for address in addresses.split(","):
        address = address.strip()
        if not address:
            continue
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"a Sentinel address is host:port, got {address!r}")
        out.append((host, int(port)))
    return out


def _db(url: str) -> int:
    path = urlparse(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def connect(url: str, sentinels: str = "", master: str = "faultline") -> redis.Redis:
    """A client for `url`, or, when `sentinels` names any, for the primary they name (db from `url`)."""
    options = dict(decode_responses=True, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=CONNECT_TIMEOUT_S,
                   health_check_interval=10, retry_on_timeout=False)
    addresses = parse_sentinels(sentinels)
    if not addresses:
        return redis.Redis.from_url(url, **options)
    sentinel = Sentinel(addresses, socket_timeout=SENTINEL_TIMEOUT_S, socket_connect_timeout=SENTINEL_TIMEOUT_S)
    return sentinel.master_for(master, db=_db(url), **options)


def confirm_replicated(client: redis.Redis, replicas: int, timeout_ms: int, mark_key: str,
                       holding: str | None = None) -> int:
    """Return once `replicas` replicas hold every write the primary had before this call; else raise.

    WAIT counts the writes of its own connection only, so this writes a mark (INCR `mark_key`) and WAITs on the same
    connection, in one pipeline: the replication stream is one ordered log, so a replica that acknowledged the mark
    holds every earlier write, whichever connection made it. Raises ReplicationUnconfirmed when fewer acknowledged
    within `timeout_ms` (the write may still be on the primary only, and a failover now could lose it).

    The write and this call use different connections, so a failover between them could point this one at a new
    primary that never had the write, and WAIT would confirm only the mark. With `holding` (a key the write made)
    the same pipeline first checks that key exists on the node it talks to, and raises WriteNotHeld if it does not.
    """
    if replicas <= 0:
        return 0
    with client.pipeline(transaction=False) as pipe:
        if holding is not None:
            pipe.exists(holding)
        pipe.incr(mark_key)
        pipe.execute_command("WAIT", replicas, timeout_ms)
        results = pipe.execute()
    if holding is not None and not results[0]:
        raise WriteNotHeld(f"the primary does not hold {holding}: the write was lost before a replica had it")
    acknowledged = results[-1]
    if int(acknowledged) < replicas:
        raise ReplicationUnconfirmed(f"{acknowledged} of {replicas} replicas acknowledged within {timeout_ms} ms")
    return int(acknowledged)
