"""The lease that makes one order replica the outbox relay, with a fencing token that only grows.

Every replica runs the lease's own task (`run`), which calls `renew()` every quarter of the TTL: it takes the lease
when free (minting a new token) or extends it when already held. The token is the larger of Redis's clock in
milliseconds and the last token + 1, so it keeps growing even if Redis lost its last write. The relay publishes only
while `held()` says so, and stamps the token on every record; Redis refuses to mark entries sent for a token that
no longer holds the lease.

A holder that dies (SIGKILL, a crash; a clean stop releases the lease) is noticed sooner than its TTL: each renewal
records the Redis client id of the connection it ran on, and a replica that finds the lease held asks Redis whether
that client is still connected (`CLIENT LIST ID`). A dead process's connections close with it, so the next renewal
of another replica (within a quarter TTL) breaks the lease and takes it. Otherwise the TTL bounds the standstill:
Redis expires the key after `ttl_ms`, and another replica takes it at its next renewal, within a quarter TTL more.
A live holder whose recorded connection was dropped (Redis restarted, a partition) can lose the lease this way
too; that costs a new token, never an entry (below). Renewal has a task of its own, not the heartbeat's, because a
beat can wait over a second for a missing broker.
What holds when a holder is only slow (paused, starved of CPU) past its lease: it stops by its own clock after 80 %
of the TTL; a batch it had already started may still reach Kafka beside the new holder's (at most one batch, under
the old, smaller token), but only the current holder can remove entries from the outbox, and consumers refuse a
smaller token on a partition after a larger one and deduplicate by event id. So publishing is at least once and
the effects are exactly once, with two relays or one.
"""
from __future__ import annotations

import logging
import threading
import time

import redis
from opentelemetry import trace

from faultline_kit.telemetry import add_event, untraced

from .order_store import PREFIX

log = logging.getLogger(__name__)

LEASE_KEY = f"{PREFIX}:outbox:lease"
CONNECTION_KEY = f"{PREFIX}:outbox:lease:connection"   # "<lease value>|<client id>" of the holder's last renewal
FENCE_KEY = f"{PREFIX}:outbox:fence"
FENCE_SCOPE = "order-outbox"
LEASE_TTL_MS = 2000

# KEYS: lease, fence, connection; ARGV: holder, ttl_ms, the client id of this holder's previous renewal ('' when
# none). Returns {token, ''} when `holder` holds the lease, or {0, connection record} when someone else does.
_ACQUIRE_OR_RENEW = """
local current = redis.call('GET', KEYS[1])
if current then
  local holder, token = string.match(current, '^(.*):(%d+)$')
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    if ARGV[3] ~= '' then redis.call('SET', KEYS[3], current .. '|' .. ARGV[3], 'PX', ARGV[2]) end
    return {tonumber(token), ''}
  end
  return {0, redis.call('GET', KEYS[3]) or ''}
end
local now = redis.call('TIME')
local millis = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local token = math.max(millis, tonumber(redis.call('GET', KEYS[2]) or '0') + 1)
redis.call('SET', KEYS[2], token)
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[3], ARGV[1] .. ':' .. token .. '|' .. ARGV[3], 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[3])
end
return {token, ''}
"""

# KEYS: lease, connection; ARGV: the lease value whose holder's connection is gone. Deletes only that lease.
_BREAK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def lease_value(holder: str, token: int) -> str:
    return f"{holder}:{token}"


class OutboxLease:
    name = "outbox-lease"

    def __init__(self, client: redis.Redis, holder: str, ttl_ms: int = LEASE_TTL_MS, clock=time.monotonic,
                 tracer: trace.Tracer | None = None) -> None:
        self._tracer = tracer or trace.NoOpTracer()
        self.redis = client
        self.holder = holder
        self.ttl_ms = ttl_ms
        self._clock = clock
        self._acquire = client.register_script(_ACQUIRE_OR_RENEW)
        self._release = client.register_script(_RELEASE)
        self._break = client.register_script(_BREAK)
        self._client_id = ""    # of the connection this replica's last renewal ran on
        self.token = 0
        self._valid_until = 0.0
        self.changes = 0
        self.broken = 0         # leases this replica broke because their holder's connection was gone

    def _acquire_or_renew(self) -> tuple[int, str]:
        """The script and CLIENT ID in one round trip on one connection: the token (0 when someone else holds the
        lease) and the holder's connection record."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.client_id()
        self._acquire(keys=[LEASE_KEY, FENCE_KEY, CONNECTION_KEY], args=[self.holder, self.ttl_ms, self._client_id],
                      client=pipe)
        client_id, (token, connection) = pipe.execute()
        self._client_id = str(client_id)
        return int(token), connection.decode() if isinstance(connection, bytes) else str(connection)

    def _holder_gone(self, connection: str) -> str | None:
        """The lease value to break when the connection its holder last renewed on is no longer connected."""
        value, _, client_id = connection.rpartition("|")
        if not value or not client_id.isdigit():
            return None
        return value if not self.redis.client_list(client_id=[client_id]) else None

    def renew(self) -> int:
        """Take or extend the lease; the token held, or 0 when another replica holds it."""
        asked_at = self._clock()
        with untraced():
            if not self._client_id:   # a restarted holder records a live connection from its first renewal on
                self._client_id = str(self.redis.client_id())
            token, connection = self._acquire_or_renew()
            gone = self._holder_gone(connection) if not token else None
            if gone is not None and int(self._break(keys=[LEASE_KEY, CONNECTION_KEY], args=[gone])):
                self.broken += 1
                log.warning("outbox lease of %s broken by %s: its holder's connection is gone",
                            gone.rsplit(":", 1)[0], self.holder)
                asked_at = self._clock()
                token, _ = self._acquire_or_renew()
        if token != self.token:
            self.changes += 1
            self._record_change(self.token, token)
        self.token = token
        # Count validity from before the call, with a margin, so this side gives up before Redis expires the key.
        self._valid_until = asked_at + 0.8 * self.ttl_ms / 1000.0 if token else 0.0
        return token

    def _record_change(self, old: int, new: int) -> None:
        what = "acquired" if new else "lost"
        log.warning("outbox lease %s by %s (token %d -> %d)", what, self.holder, old, new)
        with self._tracer.start_as_current_span("outbox lease change"):
            add_event(f"outbox lease {what}", {"holder": self.holder, "old_token": old, "new_token": new})

    def held(self) -> int | None:
        """The fencing token while this replica holds the lease by its own clock, else None."""
        if self.token and self._clock() < self._valid_until:
            return self.token
        return None

    @property
    def renew_every_s(self) -> float:
        return self.ttl_ms / 4000.0

    def run(self, stop: threading.Event) -> None:
        """Renew every quarter TTL until `stop`, then release the lease so another replica takes it at once."""
        while not stop.is_set():
            try:
                self.renew()
            except redis.RedisError as exc:  # Redis away: nobody can hold the lease, and the outbox lives there
                log.debug("outbox lease not renewed: %r", exc)
            stop.wait(self.renew_every_s)
        try:
            self.release()
        except redis.RedisError:
            pass

    def release(self) -> None:
        if self.token:
            self._release(keys=[LEASE_KEY], args=[lease_value(self.holder, self.token)])
        self.token, self._valid_until = 0, 0.0

    def describe(self) -> dict:
        current = self.redis.get(LEASE_KEY)
        return {"holder": current.rsplit(":", 1)[0] if current else None, "this_instance_holds": bool(self.held()),
                "token": self.token, "ttl_ms": self.ttl_ms,
                "changes": self.changes, "broken": self.broken}
