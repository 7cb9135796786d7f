"""At-least-once delivery on the real broker: commit after processing, redelivery, dead letters, idempotency."""
from __future__ import annotations

import threading

import pytest

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.kafka_bus import ConsumerLoop, ConsumerSpec, RetryPolicy
from faultline_kit.messages import EnvelopeStamper, EventPayload
from faultline_kit.topology import dead_letter_topic
from support.consumers import EnvelopeFunction
from support.stack import eventually

from .conftest import read_topic, running

pytestmark = pytest.mark.integration

FAST = RetryPolicy(in_process_attempts=2, backoff_max_s=0.01, retry_topic_delay_s=0.2)


class Ping(EventPayload):
    event_type = "Ping"
    n: int


def ping(n: int, aggregate: str = "agg"):
    return EnvelopeStamper("it", LamportClock(), WallClock()).stamp(Ping(n=n), aggregate, 1)


def make_loop(bootstrap, publisher, source, group, handle):
    spec = ConsumerSpec(bootstrap, group, (source,), "it", FAST)
    return ConsumerLoop(spec, EnvelopeFunction(handle, "Ping"), publisher)


def test_every_published_event_is_handled(bootstrap, publisher, group_topics):
    source, group = group_topics
    seen: list[int] = []
    for n in range(20):
        publisher.publish(source, ping(n, aggregate=f"a{n}"))
    with running(make_loop(bootstrap, publisher, source, group, lambda e: seen.append(e.payload["n"]))):
        eventually(lambda: len(seen) >= 20, 30, what="20 events handled")
    assert sorted(seen) == list(range(20))


class Crash(BaseException):
    """Stands for the process dying mid-record: not an Exception, so nothing in the loop catches it."""


def test_a_record_whose_consumer_dies_before_committing_is_delivered_again(bootstrap, publisher, group_topics):
    source, group = group_topics
    publisher.publish(source, ping(1))
    first_deliveries: list[str] = []

    def crash_after_work(envelope):
        first_deliveries.append(envelope.event_id)
        raise Crash()

    crashing = make_loop(bootstrap, publisher, source, group, crash_after_work)
    thread = threading.Thread(target=lambda: _swallow_crash(crashing), daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert first_deliveries, "the first consumer never got the record"

    redelivered: list[str] = []
    with running(make_loop(bootstrap, publisher, source, group, lambda e: redelivered.append(e.event_id))):
        eventually(lambda: redelivered, 30, what="redelivery to the next consumer of the group")
    assert redelivered == first_deliveries


def _swallow_crash(loop: ConsumerLoop) -> None:
    try:
        loop.run(threading.Event())
    except Crash:
        pass


def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_partition_moves_on(
        bootstrap, publisher, group_topics):
    source, group = group_topics
    publisher.publish_raw(source, b"agg", b"this is not an envelope")
    publisher.publish(source, ping(7))
    handled: list[int] = []
    with running(make_loop(bootstrap, publisher, source, group, lambda e: handled.append(e.payload["n"]))):
        eventually(lambda: handled == [7], 30, what="the good record after the poison one")
    [dead] = read_topic(bootstrap, dead_letter_topic(group), at_least=1)
    headers = dict(dead.headers)
    assert dead.value == b"this is not an envelope"
    assert b"not JSON" in headers["faultline-error"]
    assert headers["faultline-origin"].startswith(source.encode())


def test_a_handler_that_keeps_failing_goes_through_the_retry_topic_to_the_dead_letter_topic(
        bootstrap, publisher, group_topics):
    source, group = group_topics
    attempts: list[str] = []

    def always_fails(envelope):
        attempts.append(envelope.event_id)
        raise RuntimeError("downstream keeps failing")

    publisher.publish(source, ping(3))
    main = make_loop(bootstrap, publisher, source, group, always_fails)
    with running(main), running(ConsumerLoop.for_retry_topic(main)):
        [dead] = read_topic(bootstrap, dead_letter_topic(group), at_least=1, timeout_s=30)
    assert len(attempts) == 2 * FAST.in_process_attempts  # once from the source, once from the retry topic
    assert dict(dead.headers)["faultline-retry-hops"] == b"1"


def test_a_failure_that_heals_is_handled_from_the_retry_topic(bootstrap, publisher, group_topics):
    source, group = group_topics
    calls: list[int] = []

    def fails_at_first(envelope):
        calls.append(1)
        if len(calls) <= FAST.in_process_attempts:
            raise RuntimeError("transient")

    publisher.publish(source, ping(4))
    main = make_loop(bootstrap, publisher, source, group, fails_at_first)
    with running(main), running(ConsumerLoop.for_retry_topic(main)):
        eventually(lambda: len(calls) > FAST.in_process_attempts, 30, what="the retry-topic delivery")
    assert read_topic(bootstrap, dead_letter_topic(group), at_least=1, timeout_s=2) == []


def test_records_from_a_fenced_off_writer_are_refused(bootstrap, publisher, group_topics):
    source, group = group_topics
    fence = "faultline-fence"
    publisher.publish_raw(source, b"same", ping(1, "same").encode(), [(fence, b"order-outbox/6")])
    publisher.publish_raw(source, b"same", ping(2, "same").encode(), [(fence, b"order-outbox/5")])
    publisher.publish_raw(source, b"same", ping(3, "same").encode(), [(fence, b"order-outbox/6")])
    seen: list[int] = []
    loop = make_loop(bootstrap, publisher, source, group, lambda e: seen.append(e.payload["n"]))
    with running(loop):
        eventually(lambda: len(seen) >= 2 and loop.stats.fenced == 1, 30, what="two admitted, one fenced")
    assert seen == [1, 3]
