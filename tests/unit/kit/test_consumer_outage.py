"""What the consumer loop does with its KafkaConsumer when the broker goes away: keep it, or build a new one."""
import threading
from contextlib import contextmanager

from kafka.errors import (CoordinatorNotAvailableError, FencedInstanceIdError, IllegalStateError,
                          KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError)
from kafka.structs import OffsetAndMetadata, TopicPartition

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.consumer import keeps_consumer
from faultline_kit.kafka_bus import ConsumerLoop, ConsumerSpec, RetryPolicy
from faultline_kit.messages import EnvelopeStamper, EventPayload

PARTITION = TopicPartition("orders", 0)


class Ping(EventPayload):
    event_type = "Ping"
    n: int


class Record:
    def __init__(self, offset: int, value: bytes):
        self.topic, self.partition, self.offset, self.key, self.value, self.headers = (
            PARTITION.topic, PARTITION.partition, offset, b"k", value, [])


class ScriptedConsumer:
    """A KafkaConsumer stand-in whose poll() and commit() follow a script: an exception to raise or a result."""

    def __init__(self, polls, commits=(), stop: threading.Event | None = None):
        self.polls, self.commits, self.stop = list(polls), list(commits), stop
        self.committed: list[dict] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.closed = False

    def seek(self, partition, offset):
        self.seeks.append((partition, offset))

    def poll(self, timeout_ms):
        if not self.polls:
            self.stop.set()
            return {}
        outcome = self.polls.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def commit(self, offsets):
        outcome = self.commits.pop(0) if self.commits else None
        if isinstance(outcome, BaseException):
            raise outcome
        self.committed.append(dict(offsets))

    def assignment(self):
        return {PARTITION}

    def paused(self):
        return set()

    def highwater(self, partition):
        return None

    def close(self, autocommit=False):
        self.closed = True


class Handler:
    """Records what it handles; publishes one event per envelope when given a publisher (as inventory answers)."""

    def __init__(self, publisher=None):
        self.seen = []
        self.publisher = publisher

    def handles(self, event_type):
        return event_type == "Ping"

    def __call__(self, envelope):
        self.seen.append(envelope.payload["n"])
        if self.publisher is not None:
            self.publisher.publish_all([("answers", envelope, None)])


class DeferringPublisher:
    """The publisher's deferral as the loop sees it: sends counted, acks settled at the end, the first
    `acks_until` acknowledged and the rest not (None: all)."""

    def __init__(self, acks_until=None):
        self.acks_until = acks_until
        self.settled: list[tuple[int, int]] = []  # (sent, acked) per batch
        self._batch = None

    def publish_all(self, messages, headers=None):
        assert self._batch is not None, "a handler's publish outside the loop's deferral"
        self._batch.sent += len(messages)

    @contextmanager
    def acks_deferred(self):
        publisher = self

        class Batch:
            sent = 0
            error = None

            def settle(self):
                acked = self.sent if publisher.acks_until is None else min(self.sent, publisher.acks_until)
                publisher.settled.append((self.sent, acked))
                self.sent = 0
                return acked
        self._batch = Batch()
        try:
            yield self._batch
        finally:
            self._batch = None


def ping(n: int) -> bytes:
    return EnvelopeStamper("p", LamportClock(), WallClock()).stamp(Ping(n=n), "a", 1).encode()


def loop_over(consumers: list[ScriptedConsumer], publisher=None, publishes=False) -> tuple[ConsumerLoop, Handler]:
    publisher = publisher or DeferringPublisher()
    handler = Handler(publisher if publishes else None)
    spec = ConsumerSpec("127.0.0.1:1", "order", ("orders",), "order-1", RetryPolicy())
    loop = ConsumerLoop(spec, handler, publisher=publisher)
    built = iter(consumers)

    def connect():
        loop.stats.consumers_built += 1
        return next(built)
    loop._connect = connect
    loop._leave_group = lambda: None  # the clean stop's LeaveGroup needs a broker: tests/integration
    return loop, handler


def run_until_stopped(loop: ConsumerLoop, stop: threading.Event) -> None:
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "the loop did not stop"


def test_a_broker_that_does_not_answer_keeps_the_consumer():
    for error in (KafkaConnectionError("111 ECONNREFUSED"), NodeNotReadyError(), KafkaTimeoutError(),
                  CoordinatorNotAvailableError()):
        assert keeps_consumer(error), error


def test_an_unusable_consumer_or_a_bug_gets_a_new_one():
    for error in (FencedInstanceIdError(), IllegalStateError("no subscription"), ValueError("a bug")):
        assert not keeps_consumer(error), error


def test_connection_errors_out_of_poll_keep_the_same_consumer_and_its_records_are_handled():
    stop = threading.Event()
    consumer = ScriptedConsumer([KafkaConnectionError("111 ECONNREFUSED"), KafkaConnectionError("111 ECONNREFUSED"),
                                 {PARTITION: [Record(4, ping(1))]}], stop=stop)
    loop, handler = loop_over([consumer])
    run_until_stopped(loop, stop)
    assert handler.seen == [1]
    assert loop.stats.consumers_built == 1 and loop.stats.broker_failures == 2
    assert consumer.committed == [{PARTITION: OffsetAndMetadata(5, "", -1)}]
    assert loop.stats.broker_silent_since is None  # records came: the outage is over


def test_a_commit_the_broker_did_not_take_is_committed_on_the_next_round():
    stop = threading.Event()
    consumer = ScriptedConsumer([{PARTITION: [Record(4, ping(1))]}, {}], commits=[KafkaConnectionError("gone")],
                                stop=stop)
    loop, handler = loop_over([consumer])
    run_until_stopped(loop, stop)
    assert loop.stats.consumers_built == 1
    assert consumer.committed == [{PARTITION: OffsetAndMetadata(5, "", -1)}]


def test_a_fenced_consumer_is_closed_and_replaced():
    stop = threading.Event()
    fenced = ScriptedConsumer([FencedInstanceIdError()], stop=stop)
    fresh = ScriptedConsumer([{PARTITION: [Record(9, ping(2))]}], stop=stop)
    loop, handler = loop_over([fenced, fresh])
    run_until_stopped(loop, stop)
    assert fenced.closed and loop.stats.consumers_built == 2 and handler.seen == [2]


def test_the_events_of_one_poll_are_acknowledged_together_before_its_commit():
    stop = threading.Event()
    consumer = ScriptedConsumer([{PARTITION: [Record(4, ping(1)), Record(5, ping(2)), Record(6, ping(3))]}],
                                stop=stop)
    publisher = DeferringPublisher()
    loop, handler = loop_over([consumer], publisher, publishes=True)
    run_until_stopped(loop, stop)
    assert handler.seen == [1, 2, 3]
    assert publisher.settled[0] == (3, 3)  # one settle for the poll's three events
    assert consumer.committed == [{PARTITION: OffsetAndMetadata(7, "", -1)}]


def test_records_whose_events_were_not_acknowledged_are_not_committed_and_come_again():
    stop = threading.Event()
    consumer = ScriptedConsumer([{PARTITION: [Record(4, ping(1)), Record(5, ping(2)), Record(6, ping(3))]}],
                                stop=stop)
    publisher = DeferringPublisher(acks_until=1)  # the broker took the first answer only
    loop, handler = loop_over([consumer], publisher, publishes=True)
    run_until_stopped(loop, stop)
    assert consumer.committed == [{PARTITION: OffsetAndMetadata(5, "", -1)}]
    assert consumer.seeks == [(PARTITION, 5)]  # the two unacknowledged records are polled again
    assert loop.stats.dependency_failures == 1


def test_a_loop_without_a_publisher_handles_and_commits():
    stop = threading.Event()
    consumer = ScriptedConsumer([{PARTITION: [Record(4, ping(1))]}], stop=stop)
    handler = Handler()
    loop = ConsumerLoop(ConsumerSpec("127.0.0.1:1", "order", ("orders",), "order-1", RetryPolicy()), handler,
                        publisher=None)
    loop._connect = lambda: consumer
    loop._leave_group = lambda: None
    run_until_stopped(loop, stop)
    assert handler.seen == [1] and consumer.committed == [{PARTITION: OffsetAndMetadata(5, "", -1)}]
