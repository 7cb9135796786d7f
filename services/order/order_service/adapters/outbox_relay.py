"""Publishes the outbox in order from the one replica holding the outbox lease, and marks entries sent.

An entry leaves the outbox only after Kafka acknowledged it and only while this relay's fencing token still holds
the lease, so a relay paused past its lease cannot drop entries the new holder has not published. Every record
carries the token (`faultline-fence`), and consumers refuse a lower token after a higher one on the same partition:
a stale relay's late writes are refused. A crash between the ack and the removal republishes an entry with the
same event id, which consumers deduplicate.
"""
from __future__ import annotations

import json
import logging
import threading

import redis

from faultline_kit.envelope import Envelope
from faultline_kit.kafka_bus import FENCE_HEADER, EventPublisher, KafkaUnavailable
from faultline_kit.telemetry import context_of, untraced

from .order_store import OUTBOX_KEY, OUTBOX_SENT_KEY
from .outbox_doorbell import OutboxDoorbell
from .outbox_lease import FENCE_SCOPE, LEASE_KEY, OutboxLease, lease_value

log = logging.getLogger(__name__)

SENT_HISTORY = 1000
# The longest pause between two attempts while Kafka or Redis is away. One relay runs at a time, and an attempt to
# reach a missing broker spends up to the producer's bootstrap (5 s) trying, so the relay is nearly always inside
# one when the broker returns and connects within the kit's reconnect backoff (RECONNECT_BACKOFF_MAX_MS).
MAX_BACKOFF_S = 0.5

# KEYS: lease, outbox, sent; ARGV: lease value, count, history. Pops only while that exact lease value holds.
_ACK_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = tonumber(ARGV[2])
for i = 1, n do
  local entry = redis.call('LPOP', KEYS[2])
  if not entry then break end
  redis.call('LPUSH', KEYS[3], entry)
end
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[3]) - 1)
return n
"""


class OutboxRelay:
    name = "outbox-relay"

    def __init__(self, client: redis.Redis, publisher: EventPublisher, lease: OutboxLease,
                 batch: int = 100, idle_wait_s: float = 0.05, doorbell: OutboxDoorbell | None = None) -> None:
        self.redis = client
        self.publisher = publisher
        self.lease = lease
        self.batch = batch
        self.idle_wait_s = idle_wait_s   # without a doorbell: how long an empty outbox is left before a new look
        self.doorbell = doorbell
        self._ack = client.register_script(_ACK_SCRIPT)
        self.published = 0
        self.refused_acks = 0

    def relay_once(self) -> int:
        """Publish up to one batch while holding the lease; return how many entries left the outbox."""
        token = self.lease.held()
        if token is None:
            return 0
        entries = self.redis.lrange(OUTBOX_KEY, 0, self.batch - 1)
        if not entries:
            return 0
        fence = [(FENCE_HEADER, f"{FENCE_SCOPE}/{token}".encode())]
        messages = []
        for raw in entries:
            entry = json.loads(raw)
            messages.append((entry["topic"], Envelope.model_validate_json(entry["envelope"]),
                             context_of(entry.get("trace"))))
        self.publisher.publish_all(messages, fence)
        acked = int(self._ack(keys=[LEASE_KEY, OUTBOX_KEY, OUTBOX_SENT_KEY],
                              args=[lease_value(self.lease.holder, token), len(entries), SENT_HISTORY]))
        if acked < 0:
            self.refused_acks += 1
            log.warning("outbox lease (token %d) lost while publishing; %d entries stay for the new holder",
                        token, len(entries))
            return 0
        self.published += acked
        return acked

    def run(self, stop: threading.Event) -> None:
        backoff_s = 0.2
        while not stop.is_set():
            try:
                with untraced():
                    moved = self.relay_once()
                backoff_s = 0.2
                if moved == 0:
                    self._idle(stop)
            except (KafkaUnavailable, redis.RedisError) as exc:
                log.warning("outbox relay paused: %r; retrying in %.1fs", exc, backoff_s)
                stop.wait(backoff_s)
                backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)
        if self.doorbell is not None:
            self.doorbell.close()

    def _idle(self, stop: threading.Event) -> None:
        """Wait for the next commit's ring (or the doorbell's fallback), or, without one, `idle_wait_s`."""
        if self.doorbell is None:
            stop.wait(self.idle_wait_s)
            return
        with untraced():
            self.doorbell.wait()

    def describe(self) -> dict:
        return {"backlog": int(self.redis.llen(OUTBOX_KEY)), "published": self.published,
                "refused_acks": self.refused_acks, "lease": self.lease.describe()}
