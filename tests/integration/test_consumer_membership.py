"""A consumer's group membership on the real broker: through a broker restart, and on a clean stop."""
from __future__ import annotations

import contextlib
import threading
import uuid

import pytest
from kafka import KafkaAdminClient

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.kafka_bus import ConsumerLoop, ConsumerSpec, EventPublisher, RetryPolicy, broker_reachable
from faultline_kit.messages import EnvelopeStamper, EventPayload
from support.consumers import EnvelopeFunction
from support.stack import eventually

from .conftest import running

pytestmark = pytest.mark.integration

FAST = RetryPolicy(in_process_attempts=2, backoff_max_s=0.01, retry_topic_delay_s=0.2)


class Ping(EventPayload):
    event_type = "Ping"
    n: int


def ping(n: int):
    return EnvelopeStamper("it", LamportClock(), WallClock()).stamp(Ping(n=n), f"a{n}", 1)


def members(bootstrap: str, group: str) -> dict[str, str]:
    """The group's members as the broker lists them: group.instance.id -> member id."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        described = admin.describe_groups([group])[group]
        return {m["group_instance_id"]: m["member_id"] for m in described["members"]}
    finally:
        admin.close()


def published(bootstrap: str, topic: str, n: int) -> bool:
    """Publish one Ping with a producer of its own (one made before a broker restart may still be reconnecting)."""
    publisher = EventPublisher(bootstrap, client_id=f"it-{uuid.uuid4().hex[:6]}", ack_timeout_s=5.0)
    try:
        publisher.publish(topic, ping(n))
        return True
    except Exception:  # noqa: BLE001 - not yet: the broker is still starting
        return False
    finally:
        with contextlib.suppress(Exception):
            publisher.close(timeout_s=1.0)


@contextlib.contextmanager
def kafka_stopped(infra):
    """Stop the test stack's broker (SIGTERM, as `supervisorctl stop` does) for the block; start it again after,
    whatever happens, and wait until it takes a write (the next tests need it)."""
    bootstrap = infra.settings.kafka_bootstrap
    result = infra.supervisorctl("stop", "kafka", timeout=120)
    assert "stopped" in result.stdout, result.stdout + result.stderr
    try:
        yield
    finally:
        infra.supervisorctl("start", "kafka", timeout=120)
        eventually(lambda: broker_reachable(bootstrap), 120, what="the broker listening again")


def test_a_consumer_keeps_its_member_and_partitions_through_a_broker_restart(infra, bootstrap, group_topics):
    source, group = group_topics
    seen: list[int] = []
    broker_down = threading.Event()

    def handle(envelope):
        # The first event's handler finishes only once the broker is gone, so the loop's commit of it fails with a
        # KafkaConnectionError (or a timeout): the error that used to make the loop build a new consumer.
        if envelope.payload["n"] == 1:
            broker_down.wait(120)
        seen.append(envelope.payload["n"])

    instance = f"it-keeper-{uuid.uuid4().hex[:6]}"
    loop = ConsumerLoop(ConsumerSpec(bootstrap, group, (source,), instance, FAST), EnvelopeFunction(handle, "Ping"),
                        publisher=None)
    with running(loop):
        eventually(lambda: len(loop.stats.assigned) == 3, 60, what="the consumer assigned every partition")
        before = members(bootstrap, group)
        assert instance in before
        assert eventually(lambda: published(bootstrap, source, 1), 30, what="the first event published")
        eventually(lambda: loop.stats.in_flight, 60, what="the first event in its handler")
        with kafka_stopped(infra):
            broker_down.set()
            eventually(lambda: loop.stats.broker_failures > 0, 90,
                       what="the consumer's commit failing while the broker is down")
        assert eventually(lambda: published(bootstrap, source, 2), 120, what="an event published after the restart")
        eventually(lambda: 2 in seen, 120, what="the event published after the restart handled")
        after = members(bootstrap, group)
        assert loop.stats.consumers_built == 1, "the loop built a new consumer (a new group member)"
        assert after[instance] == before[instance], "the member rejoined under a new member id"
        assert len(loop.stats.assigned) == 3


def test_a_static_member_stopped_cleanly_leaves_its_group_at_once(bootstrap, group_topics):
    source, group = group_topics
    staying, leaving = (f"it-{name}-{uuid.uuid4().hex[:6]}" for name in ("staying", "leaving"))
    loops = {name: ConsumerLoop(ConsumerSpec(bootstrap, group, (source,), name, FAST),
                                EnvelopeFunction(lambda e: None, "Ping"), publisher=None)
             for name in (staying, leaving)}
    with running(loops[staying]):
        stop = threading.Event()
        thread = threading.Thread(target=loops[leaving].run, args=(stop,), daemon=True)
        thread.start()
        eventually(lambda: {staying, leaving} <= set(members(bootstrap, group)), 60, what="both members in the group")
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        # Read once, right after the stop returned: a static member that did not leave stays listed for its session.
        assert set(members(bootstrap, group)) == {staying}
        eventually(lambda: len(loops[staying].stats.assigned) == 3, 60, what="every partition with the member left")
