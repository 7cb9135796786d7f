"""The outbox relay on the real broker: orders accepted while Kafka is unreachable are published later."""
from __future__ import annotations

import json

import pytest

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.kafka_bus import EventPublisher, KafkaUnavailable
from faultline_kit.messages import EnvelopeStamper
from order_service import handlers
from order_service.adapters.order_store import OUTBOX_KEY, OUTBOX_SENT_KEY, OrderStore
from order_service.adapters.outbox_relay import LEASE_KEY, OutboxRelay
from order_service.domain import Order, OrderLine

from .conftest import read_topic

pytestmark = pytest.mark.integration

NOW = "2026-01-01T00:00:00+00:00"


def place(store: OrderStore, n: int) -> list[str]:
    ids = []
    for i in range(n):
        order = Order.place(f"o-{i}", f"k-{i}", "cart", "a@b.io", (OrderLine("A", 1, 100),), NOW)
        ids.append(handlers.place_order(order, store)[0].order_id)
    return ids


@pytest.fixture
def store(redis_client):
    return OrderStore(redis_client, EnvelopeStamper("it", LamportClock(), WallClock()))




def test_orders_accepted_while_kafka_is_unreachable_are_published_when_it_returns(
        redis_client, store, bootstrap, group_topics):
    topic, _ = group_topics
    ids = place(store, 5)
    entries = [json.loads(e) for e in redis_client.lrange(OUTBOX_KEY, 0, -1)]
    redis_client.delete(OUTBOX_KEY)
    redis_client.rpush(OUTBOX_KEY, *[json.dumps({**e, "topic": topic}) for e in entries])

    down = EventPublisher("127.0.0.1:9", client_id="it-down", ack_timeout_s=1)
    with pytest.raises(KafkaUnavailable):
        OutboxRelay(redis_client, down, holder="relay-down").relay_once()
    assert redis_client.llen(OUTBOX_KEY) == 5  # nothing lost, nothing marked sent

    up = EventPublisher(bootstrap, client_id="it-up")
    try:
        assert OutboxRelay(redis_client, up, holder="relay-down").relay_once() == 5
    finally:
        up.close()
    published = read_topic(bootstrap, topic, at_least=5)
    assert sorted(json.loads(r.value)["aggregate_id"] for r in published) == sorted(ids)
    assert redis_client.llen(OUTBOX_KEY) == 0 and redis_client.llen(OUTBOX_SENT_KEY) == 5


def test_only_the_lease_holder_relays(redis_client, store, publisher):
    place(store, 3)
    leader = OutboxRelay(redis_client, publisher, holder="order-1")
    follower = OutboxRelay(redis_client, publisher, holder="order-2")
    assert leader.holds_lease()
    assert not follower.holds_lease()
    assert follower.relay_once() == 0 and redis_client.llen(OUTBOX_KEY) == 3
    redis_client.delete(LEASE_KEY)  # the leader's lease expired
    assert follower.holds_lease() and not leader.holds_lease()
