"""Order's writes in the HA profile (WAIT 1): intake is AP, its transitions CP. An order is answered once a real
replica holds it, and still accepted (on the primary alone) while none acknowledges; a transition is refused
(ReplicationUnconfirmed) until a replica holds it, and a redelivery then confirms it without applying it twice. A
write the answering primary does not hold at all (lost between write and confirmation) is never confirmed. A primary
and a replica this test starts and stops itself."""
from __future__ import annotations

import pytest
import redis

from faultline_kit.bootstrap import REDIS_ERRORS
from faultline_kit.bus import EventOutlet
from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.messages import EnvelopeStamper
from faultline_kit.redis_store import ReplicationUnconfirmed, WriteNotHeld, confirm_replicated
from order_service import handlers
from order_service.adapters.order_store import OrderStore
from order_service.domain import Order, OrderLine, OrderStatus
from order_service.events import StockReserved
from support.stack import eventually

from .test_replicated_reservations import primary_and_replica, replica_online  # noqa: F401  (the fixture)

pytestmark = pytest.mark.integration

NOW = "2026-12-02T05:00:00+00:00"


def store_on(client: redis.Redis, timeout_ms: int) -> OrderStore:
    outlet = EventOutlet(EnvelopeStamper("it", LamportClock(), WallClock()), "orders")
    return OrderStore(client, outlet, wait_replicas=1, wait_timeout_ms=timeout_ms)


def an_order(key: str) -> Order:
    return Order.place(f"order-{key}", key, "cart-1", "ada@example.com", (OrderLine("SKU-1", 1, 100),), NOW)


def replica_gone(client: redis.Redis) -> bool:
    return client.info("replication").get("connected_slaves") == 0


def test_an_accepted_order_is_on_the_replica_when_it_is_answered(primary_and_replica):
    _, replica, client = primary_and_replica
    stored, created = handlers.place_order(an_order("k1"), store_on(client, 2000))
    assert created
    on_replica = store_on(redis.Redis(port=replica.port, decode_responses=True), 2000)
    assert on_replica.get(stored.order_id) == stored


def test_without_a_replica_an_order_is_still_accepted_but_its_transition_waits(primary_and_replica):
    _, replica, client = primary_and_replica
    store = store_on(client, 300)
    replica.stop()
    eventually(lambda: replica_gone(client), 20, what="replica gone")
    placed, created = handlers.place_order(an_order("k2"), store)        # AP: accepted on the primary alone
    assert created and store.get(placed.order_id).status is OrderStatus.PENDING

    def confirm():
        handlers.confirm_order(StockReserved(order_id=placed.order_id), "event-1", placed.version, store, lambda: NOW, _NoSaga())

    with pytest.raises(ReplicationUnconfirmed) as refused:   # CP: the consumer retries the event
        confirm()
    assert isinstance(refused.value, REDIS_ERRORS)
    replica.start()
    eventually(lambda: replica_online(client), 20, what="replica back online")
    confirm()                                                 # the redelivery: confirmed now, applied once
    confirmed = store.get(placed.order_id)
    assert confirmed.status is OrderStatus.CONFIRMED and confirmed.version == placed.version + 1


def test_a_write_the_primary_does_not_hold_is_never_confirmed(primary_and_replica):
    _, _, client = primary_and_replica
    with pytest.raises(WriteNotHeld):
        confirm_replicated(client, 1, 1000, "order:replication-mark", holding="order:order:lost-in-a-failover")


class _NoSaga:
    def record(self, order: Order) -> None:
        pass

