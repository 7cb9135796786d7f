"""Orders, idempotency keys and the outbox in Redis. An order and its events are written in one transaction.

With `wait_replicas` > 0 (the HA profile) every write is confirmed on a replica (WAIT) before it is acted on:
- intake (`place`) is AP: an order is answered once a replica holds it; when none acknowledges within the timeout
  (replicas down or far behind) it is still accepted, held by the primary alone, and a warning says so. Only when
  the primary answering no longer holds the order at all (a failover came between write and confirmation) is the
  request refused (WriteNotHeld, a Redis error: 503), and the client's retry with the same key places it again.
- state transitions (`update`: inventory's outcome, a cancel) are CP: ReplicationUnconfirmed is raised unless a
  replica holds the new state, so the consumer retries the event rather than commit an offset past a transition
  a failover could lose (which left orders PENDING for good).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Callable

import redis

from faultline_kit.bus import EventOutlet
from faultline_kit.redis_store import ReplicationUnconfirmed, WriteNotHeld, confirm_replicated
from faultline_kit.messages import NewEvent
from faultline_kit.telemetry import carrier_of

from ..domain import Order, OrderLine, OrderStatus

PREFIX = "order"
INDEX_KEY = f"{PREFIX}:index"
OUTBOX_KEY = f"{PREFIX}:outbox"
OUTBOX_SENT_KEY = f"{PREFIX}:outbox:sent"
OUTBOX_RING_CHANNEL = f"{OUTBOX_KEY}:ring"   # the relay's doorbell (outbox_doorbell.py)
REPLICATION_MARK_KEY = f"{PREFIX}:replication-mark"   # written before each WAIT (see confirm_replicated)

log = logging.getLogger(__name__)


def ring_outbox(pipe: redis.client.Pipeline) -> None:
    """Queue the relay's doorbell inside the transaction that writes outbox entries: rung only if they are written."""
    pipe.publish(OUTBOX_RING_CHANNEL, b"1")


class IdempotencyConflict(Exception):
    """The key was used before with a different request."""

    def __init__(self, order: Order) -> None:
        super().__init__(f"Idempotency-Key already used for order {order.order_id} with a different request")
        self.order = order


def order_key(order_id: str) -> str:
    return f"{PREFIX}:order:{order_id}"


def idempotency_key(key: str) -> str:
    return f"{PREFIX}:idem:{key}"


def encode_order(order: Order) -> str:
    return json.dumps({
        "order_id": order.order_id, "idempotency_key": order.idempotency_key, "cart_id": order.cart_id,
        "email": order.email, "status": order.status.value, "version": order.version, "reason": order.reason,
        "created_at": order.created_at, "updated_at": order.updated_at,
        "lines": [{"sku": l.sku, "quantity": l.quantity, "unit_price_cents": l.unit_price_cents} for l in order.lines],
    })


def decode_order(raw: str) -> Order:
    d = json.loads(raw)
    lines = tuple(OrderLine(l["sku"], int(l["quantity"]), int(l["unit_price_cents"])) for l in d["lines"])
    return Order(d["order_id"], d["idempotency_key"], d["cart_id"], d["email"], lines, OrderStatus(d["status"]),
                 int(d["version"]), d["created_at"], d["updated_at"], d.get("reason", ""))


def same_request(a: Order, b: Order) -> bool:
    return (a.cart_id, a.email, a.lines) == (b.cart_id, b.email, b.lines)


class OrderStore:
    """Orders in Redis; their events are stamped by `outlet` and written to the outbox in the same transaction."""

    def __init__(self, client: redis.Redis, outlet: EventOutlet, wait_replicas: int = 0,
                 wait_timeout_ms: int = 1000) -> None:
        self.redis = client
        self.outlet = outlet
        self.wait_replicas = wait_replicas
        self.wait_timeout_ms = wait_timeout_ms

    def _confirm(self, order_id: str) -> None:
        confirm_replicated(self.redis, self.wait_replicas, self.wait_timeout_ms, REPLICATION_MARK_KEY,
                           holding=order_key(order_id))

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def _outbox_entries(self, events: list[NewEvent]) -> list[str]:
        # The trace context goes with the entry: published later (even after a Kafka outage), the event still
        # joins the trace of the request or handler that caused it.
        return [json.dumps({"topic": self.outlet.topic, "event_id": envelope.event_id,
                            "envelope": envelope.model_dump_json(), "trace": carrier_of()})
                for envelope in self.outlet.stamp(events)]

    def place(self, order: Order, events: list[NewEvent]) -> tuple[Order, bool]:
        """(stored order, created?) — a replayed key answers the first order; a different request raises."""
        idem = idempotency_key(order.idempotency_key)

        def apply(pipe: redis.client.Pipeline) -> tuple[Order, bool]:
            # One read for both: the key's record, and the order under the id the key gives (it may be there
            # without its key's record; it is never overwritten).
            existing_id, raw = pipe.mget(idem, order_key(order.order_id))
            if existing_id and existing_id != order.order_id:   # placed before ids came from the key
                raw = pipe.get(order_key(existing_id))
            if raw:
                existing = decode_order(raw)
                if not same_request(existing, order):
                    raise IdempotencyConflict(existing)
                return existing, False
            entries = self._outbox_entries(events)
            pipe.multi()
            pipe.set(order_key(order.order_id), encode_order(order))
            pipe.set(idem, order.order_id)
            pipe.zadd(INDEX_KEY, {order.order_id: _created_score(order)})
            pipe.rpush(OUTBOX_KEY, *entries)
            ring_outbox(pipe)
            return order, True

        stored, created = self.redis.transaction(apply, idem, order_key(order.order_id), value_from_callable=True)
        try:
            self._confirm(stored.order_id)   # a replay confirms too: its first answer may have been a 503
        except WriteNotHeld:
            raise
        except ReplicationUnconfirmed as exc:
            log.warning("order %s accepted on the primary alone (%s): a failover before a replica has it loses it",
                        stored.order_id, exc)
        return stored, created

    def update(self, order_id: str,
               decide: Callable[[Order], tuple[Order, list[NewEvent]] | None]) -> tuple[Order, bool]:
        """Apply `decide` to the stored order; write the new order and its events together, or nothing.
        (order after, changed?); KeyError for an unknown order."""
        key = order_key(order_id)

        def apply(pipe: redis.client.Pipeline) -> tuple[Order, bool]:
            raw = pipe.get(key)
            if not raw:
                raise KeyError(order_id)
            current = decode_order(raw)
            decision = decide(current)
            if decision is None:
                return current, False
            updated, events = decision
            entries = self._outbox_entries(events)
            pipe.multi()
            pipe.set(key, encode_order(updated))
            if entries:
                pipe.rpush(OUTBOX_KEY, *entries)
                ring_outbox(pipe)
            return updated, True

        result = self.redis.transaction(apply, key, value_from_callable=True)
        self._confirm(order_id)   # unchanged too: a redelivery confirms what an earlier attempt wrote
        return result

    def get(self, order_id: str) -> Order | None:
        raw = self.redis.get(order_key(order_id))
        return decode_order(raw) if raw else None

    def page(self, offset: int, limit: int) -> tuple[list[Order], int]:
        """Orders in placement order from `offset`, and the total count."""
        ids = self.redis.zrange(INDEX_KEY, offset, offset + limit - 1)
        total = self.redis.zcard(INDEX_KEY)
        raws = self.redis.mget([order_key(i) for i in ids]) if ids else []
        return [decode_order(raw) for raw in raws if raw], total


def _created_score(order: Order) -> float:
    return datetime.fromisoformat(order.created_at).timestamp()
