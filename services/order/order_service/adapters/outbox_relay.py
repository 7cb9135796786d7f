"""Publishes the outbox in order, from one order replica at a time (a Redis lease), and marks entries sent.

An entry leaves the outbox only after Kafka acknowledged it and only while this relay still holds the lease, so a
relay that was paused past its lease cannot drop entries another relay has not published. A crash between the ack
and the removal republishes the entry with the same event id, which consumers deduplicate.
"""
from __future__ import annotations

import json
import logging
import threading

import redis

from faultline_kit.envelope import Envelope
from faultline_kit.kafka_bus import EventPublisher, KafkaUnavailable

from .order_store import OUTBOX_KEY, OUTBOX_SENT_KEY, PREFIX

log = logging.getLogger(__name__)

LEASE_KEY = f"{PREFIX}:outbox:lease"
SENT_HISTORY = 1000

# KEYS: lease, outbox, sent; ARGV: holder, count, history. Pops only while `holder` still owns the lease.
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

# KEYS: lease; ARGV: holder, ttl_ms. Take the lease when free, renew it when already ours.
_LEASE_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
elseif holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class OutboxRelay:
    def __init__(self, client: redis.Redis, publisher: EventPublisher, holder: str,
                 lease_ms: int = 5000, batch: int = 100, idle_wait_s: float = 0.05) -> None:
        self.redis = client
        self.publisher = publisher
        self.holder = holder
        self.lease_ms = lease_ms
        self.batch = batch
        self.idle_wait_s = idle_wait_s
        self._ack = client.register_script(_ACK_SCRIPT)
        self._lease = client.register_script(_LEASE_SCRIPT)
        self._release = client.register_script(_RELEASE_SCRIPT)
        self.published = 0

    name = "outbox-relay"

    def holds_lease(self) -> bool:
        return bool(self._lease(keys=[LEASE_KEY], args=[self.holder, self.lease_ms]))

    def relay_once(self) -> int:
        """Publish up to one batch if this relay holds the lease; return how many entries left the outbox."""
        if not self.holds_lease():
            return 0
        entries = self.redis.lrange(OUTBOX_KEY, 0, self.batch - 1)
        for raw in entries:
            entry = json.loads(raw)
            envelope = Envelope.model_validate_json(entry["envelope"])
            self.publisher.publish(entry["topic"], envelope)
        if not entries:
            return 0
        acked = int(self._ack(keys=[LEASE_KEY, OUTBOX_KEY, OUTBOX_SENT_KEY],
                              args=[self.holder, len(entries), SENT_HISTORY]))
        if acked < 0:
            log.warning("outbox lease lost while publishing; %d entries stay for the new relay", len(entries))
            return 0
        self.published += acked
        return acked

    def run(self, stop: threading.Event) -> None:
        backoff_s = 0.2
        while not stop.is_set():
            try:
                moved = self.relay_once()
                backoff_s = 0.2
                if moved == 0:
                    stop.wait(self.idle_wait_s)
            except (KafkaUnavailable, redis.RedisError) as exc:
                log.warning("outbox relay paused: %r; retrying in %.1fs", exc, backoff_s)
                stop.wait(backoff_s)
                backoff_s = min(backoff_s * 2, 5.0)
        self._release_lease()

    def _release_lease(self) -> None:
        try:
            self._release(keys=[LEASE_KEY], args=[self.holder])
        except redis.RedisError:
            pass
