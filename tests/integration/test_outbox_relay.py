"""The outbox relay on the real broker: orders accepted while Kafka is unreachable are published later."""
from __future__ import annotations

import json
import threading
import time

import pytest
import redis

from faultline_kit.bus import EventOutlet
from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.kafka_bus import EventPublisher, KafkaUnavailable
from faultline_kit.messages import EnvelopeStamper
from order_service import handlers
from order_service.adapters.order_store import OUTBOX_KEY, OUTBOX_RING_CHANNEL, OUTBOX_SENT_KEY, OrderStore
from order_service.adapters.outbox_doorbell import OutboxDoorbell
from order_service.adapters.outbox_lease import LEASE_KEY, OutboxLease
from order_service.adapters.outbox_relay import OutboxRelay
from order_service.domain import Order, OrderLine

from support.stack import eventually

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
    return OrderStore(redis_client, EventOutlet(EnvelopeStamper("it", LamportClock(), WallClock()), "orders"))




def test_orders_accepted_while_kafka_is_unreachable_are_published_when_it_returns(
        redis_client, store, bootstrap, group_topics):
    topic, _ = group_topics
    ids = place(store, 5)
    entries = [json.loads(e) for e in redis_client.lrange(OUTBOX_KEY, 0, -1)]
    redis_client.delete(OUTBOX_KEY)
    redis_client.rpush(OUTBOX_KEY, *[json.dumps({**e, "topic": topic}) for e in entries])

    lease = OutboxLease(redis_client, holder="order-1")
    assert lease.renew()
    down = EventPublisher("127.0.0.1:9", client_id="it-down", ack_timeout_s=1)
    with pytest.raises(KafkaUnavailable):
        OutboxRelay(redis_client, down, lease).relay_once()
    assert redis_client.llen(OUTBOX_KEY) == 5  # nothing lost, nothing marked sent

    up = EventPublisher(bootstrap, client_id="it-up")
    try:
        lease.renew()
        assert OutboxRelay(redis_client, up, lease).relay_once() == 5
    finally:
        up.close()
    published = read_topic(bootstrap, topic, at_least=5)
    assert sorted(json.loads(r.value)["aggregate_id"] for r in published) == sorted(ids)
    assert {dict(r.headers)["faultline-fence"] for r in published} == {f"order-outbox/{lease.token}".encode()}
    assert redis_client.llen(OUTBOX_KEY) == 0 and redis_client.llen(OUTBOX_SENT_KEY) == 5


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_only_the_lease_holder_relays(redis_client, store, publisher):
    place(store, 3)
    leader, follower = OutboxLease(redis_client, "order-1"), OutboxLease(redis_client, "order-2")
    assert leader.renew() and not follower.renew()
    assert OutboxRelay(redis_client, publisher, follower).relay_once() == 0
    assert redis_client.llen(OUTBOX_KEY) == 3


def another_process(client: redis.Redis) -> redis.Redis:
    """A client with connections of its own on the same Redis and database, as another replica has."""
    kwargs = client.connection_pool.connection_kwargs
    return redis.Redis(host=kwargs["host"], port=kwargs["port"], db=kwargs["db"], decode_responses=True)


def test_a_lease_whose_holder_has_no_connection_left_is_taken_at_the_next_renewal_with_a_larger_token(redis_client):
    holder_client = another_process(redis_client)   # another process's connections
    holder = OutboxLease(holder_client, "order-1")
    old_token = holder.renew()                  # and records the connection it ran on
    contender = OutboxLease(redis_client, "order-2")
    assert contender.renew() == 0               # its holder is connected: the lease stays
    holder_client.close()                       # SIGKILL: every connection of the process closes with it
    holder_client.connection_pool.disconnect()
    new_token = eventually(contender.renew, timeout_s=5, what="the contender takes the lease")
    assert new_token > old_token and contender.broken == 1
    assert redis_client.get(LEASE_KEY) == f"order-2:{new_token}"


def test_a_holder_restarted_under_its_name_keeps_its_lease_and_token_and_is_not_broken(redis_client):
    first = another_process(redis_client)
    token = OutboxLease(first, "order-1").renew()
    first.close()
    first.connection_pool.disconnect()
    restarted = OutboxLease(redis_client, "order-1")     # supervisord restarted order-1 before anyone took it
    assert restarted.renew() == token
    contender_client = another_process(redis_client)
    try:
        contender = OutboxLease(contender_client, "order-2")
        assert contender.renew() == 0 and contender.broken == 0   # the restarted holder's connection is live
    finally:
        contender_client.close()


def test_a_new_holder_gets_a_larger_token_and_the_stale_holder_cannot_mark_entries_sent(
        redis_client, store, bootstrap, group_topics):
    topic, _ = group_topics
    place(store, 2)
    entries = [json.loads(e) for e in redis_client.lrange(OUTBOX_KEY, 0, -1)]
    redis_client.delete(OUTBOX_KEY)
    redis_client.rpush(OUTBOX_KEY, *[json.dumps({**e, "topic": topic}) for e in entries])
    clock = Clock()
    stale = OutboxLease(redis_client, "order-1", ttl_ms=5000, clock=clock)
    old_token = stale.renew()
    redis_client.delete(LEASE_KEY)  # order-1 was paused past its lease: Redis expired it
    fresh = OutboxLease(redis_client, "order-2")
    new_token = fresh.renew()
    assert new_token > old_token

    publisher = EventPublisher(bootstrap, client_id="it-stale")
    try:
        stale_relay = OutboxRelay(redis_client, publisher, stale)
        assert stale.held() == old_token  # by its own (paused) clock it still believes it holds the lease
        assert stale_relay.relay_once() == 0 and stale_relay.refused_acks == 1
        assert redis_client.llen(OUTBOX_KEY) == 2  # nothing the new holder has not published left the outbox
        assert OutboxRelay(redis_client, publisher, fresh).relay_once() == 2
        clock.now += 10  # and once its clock moves on, the stale relay stops trying
        assert stale.held() is None
    finally:
        publisher.close()


def test_the_commit_that_fills_the_outbox_rings_the_relay_awake(redis_client, bootstrap, publisher, group_topics):
    """With a doorbell whose own look comes only every 30 s, an order is still published at once: its commit rang."""
    topic, _ = group_topics
    store = OrderStore(redis_client, EventOutlet(EnvelopeStamper("it", LamportClock(), WallClock()), topic))
    lease = OutboxLease(redis_client, holder="order-1")
    assert lease.renew()
    doorbell = OutboxDoorbell(redis_client, fallback_s=30)
    relay = OutboxRelay(redis_client, publisher, lease, doorbell=doorbell)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        eventually(lambda: dict(redis_client.pubsub_numsub(OUTBOX_RING_CHANNEL)).get(OUTBOX_RING_CHANNEL, 0) >= 1,
                   10, what="the relay listening for the doorbell")
        placed = time.monotonic()
        ids = place(store, 1)
        eventually(lambda: redis_client.llen(OUTBOX_KEY) == 0 and redis_client.llen(OUTBOX_SENT_KEY) == 1, 10,
                   what="the entry published and marked sent")
        assert time.monotonic() - placed < doorbell.fallback_s and doorbell.rings >= 1
        assert [json.loads(r.value)["aggregate_id"] for r in read_topic(bootstrap, topic, at_least=1)] == ids
    finally:
        stop.set()
        redis_client.publish(OUTBOX_RING_CHANNEL, "1")   # the relay is waiting on the doorbell: wake it to stop
        thread.join(timeout=10)
    assert not thread.is_alive()
