"""Consuming from Kafka at least once: process, then commit offset+1; retry and dead-letter topics; pause while a
dependency is down. Handlers only ever see an `Envelope`; records, offsets and headers stay in this module.
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field, replace
from typing import Protocol

import pybreaker
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import MemberToRemove
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from opentelemetry import trace
from tenacity import (Retrying, retry_if_exception, retry_if_exception_type, retry_if_not_exception_type,
                      stop_after_attempt, stop_after_delay, wait_fixed, wait_random_exponential)

from .envelope import Envelope, InvalidMessage, decode
from .fencing import FENCE_HEADER, FenceGuard, header_value
from .publisher import RECONNECT_BACKOFF_MAX_MS, AckBatch, EventPublisher, Headers, KafkaUnavailable, broker_reachable
from .resilience import ConcurrentCircuitBreaker, allows_trial
from .telemetry import add_event, context_from_headers
from .topology import dead_letter_topic, retry_topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    in_process_attempts: int = 3
    backoff_max_s: float = 1.0
    retry_topic_delay_s: float = 2.0
    retry_topic_hops: int = 1


@dataclass(frozen=True)
class Dependency:
    """Something handlers need (Redis, SMTP): its breaker counts `errors`; while it is open the loop pauses."""

    breaker: ConcurrentCircuitBreaker
    errors: tuple[type[BaseException], ...]


class DependencyDown(Exception):
    """A handler could not run because a dependency failed; the record is rewound, never dead-lettered."""


@dataclass
class ConsumerStats:
    processed: int = 0
    skipped: int = 0
    retried_via_topic: int = 0
    dead_lettered: int = 0
    dependency_failures: int = 0
    fenced: int = 0
    consumers_built: int = 0
    broker_failures: int = 0
    broker_silent_since: float | None = None
    in_flight: int = 0
    paused: bool = False
    paused_since: float | None = None
    last_poll_at: float = 0.0
    assigned: list[str] = field(default_factory=list)
    lag: dict[str, int] = field(default_factory=dict)

    def describe(self) -> dict:
        """A copy that is safe to read from another thread while the loop keeps counting."""
        lag = dict(self.lag)
        return {**self.__dict__, "lag": lag, "assigned": list(self.assigned), "total_lag": sum(lag.values())}


def keeps_consumer(exc: BaseException) -> bool:
    """Whether the loop goes on with the consumer that raised `exc` out of `poll()` or `commit()`.

    Yes for a retriable Kafka error (`KafkaConnectionError` while the broker is gone, a coordinator not available or
    moving, a request timing out): kafka-python reconnects by itself, and the consumer keeps its member id, its
    generation and its partitions, so when the broker is back it carries on with a heartbeat instead of joining as a
    new member (a rebalance of its whole group). No for anything else (a fenced static member, an illegal state,
    a bug): that consumer is closed and a new one built.
    """
    return isinstance(exc, KafkaError) and exc.retriable


class BrokerOutage:
    """How long the loop waits between polls of a consumer that keeps failing with retriable errors, and the log
    lines at the start and the end of such a run (one each, not one per failed poll)."""

    FIRST_WAIT_S = 0.25
    MAX_WAIT_S = 0.5

    def __init__(self, name: str, stats: "ConsumerStats") -> None:
        self._name = name
        self._stats = stats
        self._failures = 0
        self._wait_s = self.FIRST_WAIT_S

    def failed(self, exc: BaseException) -> float:
        """Record one failure; the seconds to wait before polling again."""
        if self._stats.broker_silent_since is None:
            self._stats.broker_silent_since = time.time()
            log.warning("%s: the broker does not answer (%r); keeping the consumer and polling again", self._name, exc)
        self._failures += 1
        self._stats.broker_failures += 1
        wait_s, self._wait_s = self._wait_s, min(self._wait_s * 2, self.MAX_WAIT_S)
        return wait_s

    def answered(self) -> None:
        """Records came, a commit went through, or the broker takes connections again: the failures are over."""
        since = self._stats.broker_silent_since
        if since is not None:
            log.warning("%s: the broker answers again after %.1fs and %d failed polls or commits; same consumer, "
                        "same member", self._name, time.time() - since, self._failures)
        self._stats.broker_silent_since, self._failures, self._wait_s = None, 0, self.FIRST_WAIT_S


# How long a clean stop tries to take its static member out of the group (coordinator moving or loading: retried).
LEAVE_DEADLINE_S = 2.0

RETRY_AT_HEADER = "faultline-retry-at-ms"
HOPS_HEADER = "faultline-retry-hops"


@dataclass(frozen=True)
class ConsumerSpec:
    """Where and how one loop consumes: the broker, its group, its topics, and the retry policy."""

    bootstrap_servers: str
    group: str
    topics: tuple[str, ...]
    client_id: str
    policy: RetryPolicy = RetryPolicy()
    consumes_retry_topic: bool = False

    def for_retry_topic(self) -> "ConsumerSpec":
        """The twin loop's spec: group `<group>.retry` consuming `<group>.retry`."""
        return replace(self, group=f"{self.group}.retry", topics=(retry_topic(self.group),),
                       client_id=f"{self.client_id}-retry", consumes_retry_topic=True)


class EnvelopeHandler(Protocol):
    """What a loop hands envelopes to (a service's message bus): which types it handles, and the handling."""

    def handles(self, event_type: str) -> bool: ...

    def __call__(self, envelope: Envelope) -> None: ...


class ConsumerLoop:
    """Consumes `spec.topics` as `spec.group` with auto-commit off: process, then commit offset+1.

    A record whose handler keeps failing goes to `<group>.retry` (re-consumed after a delay by the twin loop
    built with `for_retry_topic`), then to `<group>.dlq`; a record that can never be valid goes straight to the
    dead-letter topic. Either way the partition moves on. When a `Dependency` fails instead, the record is rewound
    and the loop pauses its partitions until the dependency's breaker lets a trial through: an outage of Redis or
    SMTP delays work, it does not burn it into the dead-letter topic.
    """

    def __init__(self, spec: ConsumerSpec, handler: EnvelopeHandler, publisher: EventPublisher | None,
                 dependencies: tuple[Dependency, ...] = (), tracer: trace.Tracer | None = None) -> None:
        self.spec = spec
        self._handler = handler
        self._publisher = publisher
        self._dependencies = dependencies
        self._tracer = tracer or trace.NoOpTracer()
        self._fence = FenceGuard()
        self.stats = ConsumerStats()

    @classmethod
    def for_retry_topic(cls, main: "ConsumerLoop") -> "ConsumerLoop":
        return cls(main.spec.for_retry_topic(), main._handler, main._publisher, main._dependencies, main._tracer)

    @property
    def group(self) -> str:
        return self.spec.group

    @property
    def name(self) -> str:
        return f"consumer[{self.group}]"

    def _connect(self) -> KafkaConsumer:
        # A consumer that dies without leaving the group loses its partitions after session_timeout_ms (10 s);
        # one that stops cleanly leaves at once. Heartbeats every 2 s let the coordinator notice within that window.
        consumer = KafkaConsumer(
            bootstrap_servers=self.spec.bootstrap_servers,
            group_id=self.group,
            client_id=self.spec.client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=10000,
            heartbeat_interval_ms=2000,
            # Static membership (KIP-345): an instance that restarts under the same id (supervisord here, a restarted
            # container in Kubernetes) takes its partitions back at once instead of the group waiting out the session
            # of the member it was; the cost is that a clean stop no longer leaves the group (see failure-handling).
            group_instance_id=self.spec.client_id,
            max_poll_interval_ms=60000,
            max_poll_records=100,
            allow_auto_create_topics=False,
            bootstrap_timeout_ms=5000,
            reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
        )
        consumer.subscribe(list(self.spec.topics))
        self.stats.consumers_built += 1
        return consumer

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; reconnect with backoff whenever the broker goes away."""
        backoff_s = 0.5
        while not stop.is_set():
            try:
                consumer = self._connect()
            except KafkaError as exc:
                log.warning("%s cannot connect: %r; retrying in %.1fs", self.name, exc, backoff_s)
                stop.wait(backoff_s)
                backoff_s = min(backoff_s * 2, 5.0)
                continue
            backoff_s = 0.5
            try:
                self._consume(consumer, stop)
            except Exception:  # noqa: BLE001 - the loop must survive anything and rewind to the last commit
                log.exception("%s failed; rewinding to the last committed offsets", self.name)
                stop.wait(1.0)
            finally:
                consumer.close(autocommit=False)
        self._leave_group()
        log.info("%s stopped", self.name)

    def _leave_group(self) -> None:
        """On a clean stop, take this static member out of its group by its instance id.

        A static member (KIP-345) does not send LeaveGroup when it closes, so its partitions would wait for its
        session (10 s) while the others could take them at once; the admin API's LeaveGroup by group.instance.id
        (KIP-345's removal, as Java's removeMembersFromConsumerGroup) does what a dynamic member's close does.
        Best effort, bounded: a broker that does not answer within LEAVE_DEADLINE_S leaves it to the session.
        """
        if not self.stats.consumers_built:
            return
        started = time.monotonic()
        admin = None
        try:
            admin = KafkaAdminClient(bootstrap_servers=self.spec.bootstrap_servers,
                                     client_id=f"{self.spec.client_id}-leave", request_timeout_ms=2000,
                                     bootstrap_timeout_ms=2000, reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS)
            for attempt in Retrying(stop=stop_after_delay(LEAVE_DEADLINE_S), wait=wait_fixed(0.2), reraise=True,
                                    retry=retry_if_exception(keeps_consumer)):
                with attempt:
                    errors = admin.remove_group_members(
                        self.group, [MemberToRemove(group_instance_id=self.spec.client_id)])
            outcome = {member: error.__name__ for member, error in errors.items()}
            log.info("%s left its group as %s in %.2fs: %s", self.name, self.spec.client_id,
                     time.monotonic() - started, outcome)
        except KafkaError as exc:
            log.warning("%s could not leave its group (%r): its partitions wait for its session", self.name, exc)
        finally:
            if admin is not None:
                admin.close()

    def _dependencies_allow(self) -> bool:
        return all(allows_trial(dep.breaker) for dep in self._dependencies)

    def _hold_or_resume(self, consumer: KafkaConsumer) -> None:
        """Keep every assigned partition paused while a dependency's breaker refuses calls; resume after."""
        if self._dependencies_allow():
            if self.stats.paused:
                consumer.resume(*consumer.paused())
                log.warning("%s resumed after %.1fs paused", self.name, time.time() - (self.stats.paused_since or 0))
                self.stats.paused, self.stats.paused_since = False, None
            return
        assigned = consumer.assignment()
        if assigned - consumer.paused():
            consumer.pause(*assigned)
        if not self.stats.paused:
            log.warning("%s paused: a dependency's circuit breaker is open", self.name)
            self.stats.paused, self.stats.paused_since = True, time.time()

    def _consume(self, consumer: KafkaConsumer, stop: threading.Event) -> None:
        """Poll, process, commit until `stop`. A retriable Kafka error out of `poll()` or `commit()` keeps this
        consumer (see `keeps_consumer`): wait a little and poll again; anything else goes up to `run`, which builds
        a new consumer."""
        outage = BrokerOutage(self.name, self.stats)
        uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        while not stop.is_set():
            self._hold_or_resume(consumer)
            try:
                batch = consumer.poll(timeout_ms=500)
            except KafkaError as exc:
                if not keeps_consumer(exc):
                    raise
                stop.wait(outage.failed(exc))
                continue
            self.stats.last_poll_at = time.time()
            if batch or (self.stats.broker_silent_since is not None
                         and broker_reachable(self.spec.bootstrap_servers)):
                outage.answered()
            self.stats.assigned = sorted(f"{tp.topic}-{tp.partition}" for tp in consumer.assignment())
            processed, failure = self._handle_batch(batch, stop)
            if failure is not None:
                self.stats.dependency_failures += 1
                log.warning("%s: dependency failed (%s); rewinding and backing off", self.name, failure)
                self._rewind(consumer, batch, processed)
            uncommitted.update(processed)
            self._commit(consumer, uncommitted, outage)
            self._measure_lag(consumer, processed)
            if failure is not None:
                stop.wait(0.5)

    def _handle_batch(self, batch, stop: threading.Event) -> tuple[dict[TopicPartition, OffsetAndMetadata],
                                                                      Exception | None]:
        """Process one poll's records in order, the events their handlers publish sent at once and acknowledged
        together at the end (`acks_deferred`): one ack round trip per poll, not one per event. Returns the offsets
        safe to commit, those past records whose every event was acknowledged, and what stopped the batch early
        (a dependency down, Kafka not taking the events), if anything."""
        done: list[tuple[TopicPartition, int, int]] = []  # (partition, next offset, sends so far)
        failure: Exception | None = None
        with self._acks_deferred() as acks:
            try:
                for partition, record in ((p, r) for p, records in batch.items() for r in records):
                    if stop.is_set():
                        break
                    self._process(record, stop)
                    done.append((partition, record.offset + 1, acks.sent))
            except (DependencyDown, KafkaUnavailable) as exc:
                failure = exc
            finally:  # anything else goes up to `run` (a new consumer, back to the last commit) after the acks
                sent = acks.sent
                acked = acks.settle()
        if acked < sent and failure is None:
            failure = KafkaUnavailable(f"{acked} of the poll's {sent} sends acknowledged: {acks.error!r}")
        processed: dict[TopicPartition, OffsetAndMetadata] = {}
        for partition, next_offset, sends in done:
            if sends > acked:
                break
            processed[partition] = OffsetAndMetadata(next_offset, "", -1)
        return processed, failure

    def _acks_deferred(self):
        """The publisher's deferral of acks; a loop built without a publisher (its handler never publishes: the
        handover measurement, some tests) has a batch nothing is sent into."""
        return self._publisher.acks_deferred() if self._publisher is not None else nullcontext(AckBatch(None))

    @staticmethod
    def _rewind(consumer: KafkaConsumer, batch, processed: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Seek every partition of the batch back to its first unprocessed record."""
        for partition, records in batch.items():
            first_unprocessed = processed[partition].offset if partition in processed else records[0].offset
            consumer.seek(partition, first_unprocessed)

    def _measure_lag(self, consumer: KafkaConsumer, processed: dict[TopicPartition, OffsetAndMetadata]) -> None:
        for partition, offset in processed.items():
            highwater = consumer.highwater(partition)
            if highwater is not None:
                self.stats.lag[f"{partition.topic}-{partition.partition}"] = max(highwater - offset.offset, 0)

    def _commit(self, consumer: KafkaConsumer, offsets: dict[TopicPartition, OffsetAndMetadata],
                outage: BrokerOutage) -> None:
        """Commit `offsets` and forget them; when the broker does not answer, keep those of partitions still
        assigned for the next round (a later offset of the same partition replaces its entry)."""
        if not offsets:
            return
        try:
            consumer.commit(dict(offsets))
        except CommitFailedError as exc:
            log.warning("%s commit refused after a rebalance (records will be redelivered): %s", self.name, exc)
        except KafkaError as exc:
            if not keeps_consumer(exc):
                raise
            outage.failed(exc)
            assigned = consumer.assignment()
            for partition in [p for p in offsets if p not in assigned]:
                del offsets[partition]
            return
        offsets.clear()
        outage.answered()

    def _call_handler(self, envelope: Envelope) -> None:
        """The handler, inside every dependency's breaker; a dependency's failure becomes DependencyDown."""
        try:
            with ExitStack() as guards:
                for dependency in self._dependencies:
                    guards.enter_context(dependency.breaker.guarding())
                self._handler(envelope)
        except pybreaker.CircuitBreakerError as exc:
            raise DependencyDown(str(exc)) from exc
        except Exception as exc:
            if any(isinstance(exc, dep.errors) for dep in self._dependencies):
                raise DependencyDown(f"{type(exc).__name__}: {exc}") from exc
            raise

    def _process(self, record, stop: threading.Event) -> None:
        """One record inside a CONSUMER span whose parent is the producer span carried in its headers."""
        if self.spec.consumes_retry_topic:
            self._wait_until_due(record, stop)
        attributes = {"messaging.system": "kafka", "messaging.destination.name": record.topic,
                      "messaging.operation.type": "process", "messaging.consumer.group.name": self.group,
                      "messaging.destination.partition.id": str(record.partition),
                      "messaging.kafka.offset": record.offset}
        with self._tracer.start_as_current_span(f"process {record.topic}", context=context_from_headers(
                record.headers), kind=trace.SpanKind.CONSUMER, attributes=attributes):
            self._process_in_span(record)

    def _process_in_span(self, record) -> None:
        if not self._fence.admits(record.topic, record.partition, record.headers):
            self.stats.fenced += 1
            add_event("refused from a fenced-off writer", {"fence": header_value(record.headers, FENCE_HEADER)})
            log.warning("%s: refused %s/%s/%s from a fenced-off writer (%s)", self.name, record.topic,
                        record.partition, record.offset, header_value(record.headers, FENCE_HEADER))
            return
        try:
            envelope = decode(record.value)
        except InvalidMessage as exc:
            self._dead_letter(record, exc, hops=0)
            return
        if not self._handler.handles(envelope.type):
            self.stats.skipped += 1
            return
        span = trace.get_current_span()
        span.set_attribute("messaging.message.id", envelope.event_id)
        span.set_attribute("faultline.event.type", envelope.type)
        self.stats.in_flight += 1
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(self.spec.policy.in_process_attempts),
                wait=wait_random_exponential(multiplier=0.1, max=self.spec.policy.backoff_max_s),
                retry=retry_if_exception_type(Exception)
                & retry_if_not_exception_type((InvalidMessage, DependencyDown)),
                reraise=True,
            ):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        add_event("retry", {"attempt": attempt.retry_state.attempt_number})
                    self._call_handler(envelope)
            self.stats.processed += 1
            log.info("handled %s %s", envelope.type, envelope.event_id,
                     extra={"event_id": envelope.event_id, "order_id": envelope.aggregate_id})
        except DependencyDown:
            raise
        except InvalidMessage as exc:
            self._dead_letter(record, exc, hops=0)
        except Exception as exc:  # noqa: BLE001 - any handler failure is routed, never lost
            hops = int(header_value(record.headers, HOPS_HEADER) or 0)
            if hops < self.spec.policy.retry_topic_hops:
                self._send_to_retry(record, exc, hops + 1)
            else:
                self._dead_letter(record, exc, hops)
        finally:
            self.stats.in_flight -= 1

    def _wait_until_due(self, record, stop: threading.Event) -> None:
        due_ms = int(header_value(record.headers, RETRY_AT_HEADER) or 0)
        delay_s = (due_ms / 1000.0) - time.time()
        if delay_s > 0:
            stop.wait(min(delay_s, self.spec.policy.retry_topic_delay_s))

    def _failure_headers(self, record, exc: BaseException, hops: int) -> Headers:
        return [
            ("faultline-error", f"{type(exc).__name__}: {exc}"[:1000].encode()),
            ("faultline-origin", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ("faultline-consumer-group", self.group.encode()),
            ("faultline-failed-at-ms", str(int(time.time() * 1000)).encode()),
            (HOPS_HEADER, str(hops).encode()),
        ]

    def _send_to_retry(self, record, exc: BaseException, hops: int) -> None:
        base_group = self.group.removesuffix(".retry")
        due_ms = int((time.time() + self.spec.policy.retry_topic_delay_s) * 1000)
        headers = self._failure_headers(record, exc, hops) + [(RETRY_AT_HEADER, str(due_ms).encode())]
        log.warning("%s: record %s/%s/%s goes to the retry topic: %r", self.name, record.topic,
                    record.partition, record.offset, exc)
        add_event("routed to retry topic", {"topic": retry_topic(base_group), "error": repr(exc), "hops": hops})
        self._publisher.publish_raw(retry_topic(base_group), record.key, record.value, headers)
        self.stats.retried_via_topic += 1

    def _dead_letter(self, record, exc: BaseException, hops: int) -> None:
        base_group = self.group.removesuffix(".retry")
        log.error("%s: record %s/%s/%s goes to the dead-letter topic: %s", self.name, record.topic,
                  record.partition, record.offset, exc)
        add_event("routed to dead-letter topic", {"topic": dead_letter_topic(base_group), "error": repr(exc)})
        self._publisher.publish_raw(dead_letter_topic(base_group), record.key, record.value,
                                    self._failure_headers(record, exc, hops))
        self.stats.dead_lettered += 1
