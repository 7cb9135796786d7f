"""The outbox's doorbell: the transaction that fills the outbox rings it, and the relay waits for the ring instead
of asking Redis every 50 ms whether anything arrived.

A ring is a Redis PUBLISH queued in the same MULTI as the outbox entries (`order_store.ring_outbox`), so it is sent only when they are written.
Pub/sub is fire-and-forget: a ring is missed while the relay reconnects, or before it subscribed. So the relay
also looks on its own every `fallback_s` (and at once after publishing a batch): a missed ring delays an entry by
at most that, it never strands one.
"""
from __future__ import annotations

import redis

from .order_store import OUTBOX_RING_CHANNEL


class OutboxDoorbell:
    def __init__(self, client: redis.Redis, fallback_s: float = 0.25) -> None:
        self.redis = client
        self.fallback_s = fallback_s
        self._pubsub: redis.client.PubSub | None = None
        self.rings = 0

    def wait(self) -> bool:
        """Block until the outbox rings or `fallback_s` passes; True when it rang. Rings that came together count
        once: one look at the outbox covers them all."""
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            self._pubsub.subscribe(OUTBOX_RING_CHANNEL)
        message = self._pubsub.get_message(timeout=self.fallback_s)
        rang = message is not None
        while message is not None:
            message = self._pubsub.get_message(timeout=0)
        self.rings += rang
        return rang

    def close(self) -> None:
        if self._pubsub is not None:
            self._pubsub.close()
            self._pubsub = None
