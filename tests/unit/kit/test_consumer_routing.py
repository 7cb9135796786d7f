"""The consumer loop's routing decisions, with a fake record and publisher (no broker)."""
import threading
from dataclasses import dataclass, field

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.envelope import InvalidMessage
from faultline_kit.kafka_bus import HOPS_HEADER, ConsumerLoop, ConsumerSpec, RetryPolicy
from faultline_kit.messages import EnvelopeStamper, EventPayload


class Ping(EventPayload):
    event_type = "Ping"
    n: int


@dataclass
class Record:
    value: bytes | None
    headers: list = field(default_factory=list)
    topic: str = "orders"
    partition: int = 0
    offset: int = 7
    key: bytes = b"k"


class FakePublisher:
    def __init__(self):
        self.sent = []

    def publish_raw(self, topic, key, value, headers=None):
        self.sent.append((topic, key, value, dict(headers or [])))


class Handler:
    def __init__(self, handle, handles):
        self.handle, self.handles = handle, handles

    def __call__(self, envelope):
        self.handle(envelope)


def loop(handle, handles=lambda t: t == "Ping", retry=False):
    publisher = FakePublisher()
    spec = ConsumerSpec("127.0.0.1:1", "inventory", ("orders",), "test",
                        RetryPolicy(in_process_attempts=2, backoff_max_s=0.001, retry_topic_delay_s=0.01),
                        consumes_retry_topic=retry)
    consumer = ConsumerLoop(spec, Handler(handle, handles), publisher)
    return consumer, publisher


def ping_bytes() -> bytes:
    return EnvelopeStamper("p", LamportClock(), WallClock()).stamp(Ping(n=1), "a", 1).encode()


def test_a_handled_record_publishes_nothing():
    seen = []
    consumer, publisher = loop(seen.append)
    consumer._process(Record(ping_bytes()), threading.Event())
    assert len(seen) == 1 and publisher.sent == [] and consumer.stats.processed == 1


def test_garbage_goes_straight_to_the_dead_letter_topic_with_the_error():
    consumer, publisher = loop(lambda e: None)
    consumer._process(Record(b"\x00garbage"), threading.Event())
    [(topic, key, value, headers)] = publisher.sent
    assert (topic, value) == ("inventory.dlq", b"\x00garbage")
    assert b"not JSON" in headers["faultline-error"]
    assert headers["faultline-origin"] == b"orders/0/7"


def test_a_payload_the_handler_finds_invalid_is_dead_lettered_without_retries():
    calls = []

    def handle(envelope):
        calls.append(envelope)
        raise InvalidMessage("bad payload")

    consumer, publisher = loop(handle)
    consumer._process(Record(ping_bytes()), threading.Event())
    assert len(calls) == 1 and publisher.sent[0][0] == "inventory.dlq"


def test_types_this_consumer_does_not_handle_are_skipped():
    consumer, publisher = loop(lambda e: None, handles=lambda t: False)
    consumer._process(Record(ping_bytes()), threading.Event())
    assert publisher.sent == [] and consumer.stats.skipped == 1


def test_a_handler_that_keeps_failing_goes_to_the_retry_topic_after_in_process_retries():
    calls = []

    def handle(envelope):
        calls.append(1)
        raise RuntimeError("redis blip")

    consumer, publisher = loop(handle)
    consumer._process(Record(ping_bytes()), threading.Event())
    [(topic, _, _, headers)] = publisher.sent
    assert topic == "inventory.retry" and len(calls) == 2
    assert headers[HOPS_HEADER] == b"1"


def test_a_record_that_already_went_through_the_retry_topic_is_dead_lettered():
    def handle(envelope):
        raise RuntimeError("still failing")

    consumer, publisher = loop(handle, retry=True)
    consumer._process(Record(ping_bytes(), headers=[(HOPS_HEADER, b"1")], topic="inventory.retry"),
                      threading.Event())
    assert publisher.sent[0][0] == "inventory.dlq"


def test_a_producer_that_cannot_close_cleanly_is_still_discarded():
    from kafka.errors import KafkaTimeoutError

    from faultline_kit.publisher import EventPublisher

    class Wedged:
        def close(self, timeout):
            raise KafkaTimeoutError("Timeout waiting for future")

    publisher = EventPublisher("127.0.0.1:1", client_id="test")
    publisher._producer = Wedged()
    publisher.discard()
    assert publisher._producer is None
