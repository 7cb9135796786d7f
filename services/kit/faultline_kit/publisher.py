"""Publishing to Kafka: an idempotent producer (acks=all), each message traced as a child of what caused it."""
from __future__ import annotations

import logging
import socket
import threading
from contextlib import contextmanager
from typing import Iterator

from kafka import KafkaProducer
from kafka.errors import KafkaError
from opentelemetry import trace
from opentelemetry.context import Context

from .envelope import Envelope
from .telemetry import headers_with_context

log = logging.getLogger(__name__)

# kafka-python waits 50 ms after a failed connection or bootstrap attempt, doubling up to this cap (30 s by default).
# While the broker restarts, a bootstrap fails again and again (port closed, then metadata without a ready broker),
# so the cap is how late a client can notice the broker is ready: 250 ms. Against a closed port an attempt is a
# refused connect, a few every second per client.
RECONNECT_BACKOFF_MAX_MS = 250

Headers = list[tuple[str, bytes]]
TRACE_HEADERS = ("traceparent", "tracestate")


class KafkaUnavailable(RuntimeError):
    """The broker could not be reached or did not acknowledge in time."""


def broker_reachable(bootstrap_servers: str, timeout_s: float = 0.5) -> bool:
    """A cheap readiness probe: can a TCP connection be opened to any bootstrap broker?"""
    for address in bootstrap_servers.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


def _mark_failed(spans: list[trace.Span], exc: BaseException) -> None:
    for span in spans:
        span.record_exception(exc)
        span.set_status(trace.Status(trace.StatusCode.ERROR, "publish failed"))


class AckBatch:
    """Sends whose acks are awaited together: what `publish_all` waits for at once, or what
    `EventPublisher.acks_deferred` collects for its owner to wait for later.

    `sent` counts the sends so far; `settle` waits for their acks in send order and says how many were acknowledged
    before the first that was not (the rest count as not acknowledged, even if the broker took some of them);
    `error` is what the first unacknowledged one failed with. A batch of no publisher is one nothing is sent into
    (a consumer loop whose handler never publishes): it settles at once, with nothing acknowledged.
    """

    def __init__(self, publisher: "EventPublisher | None") -> None:
        self._publisher = publisher
        self._pending: list[tuple[object, trace.Span]] = []
        self.error: KafkaError | None = None

    @property
    def sent(self) -> int:
        return len(self._pending)

    def add(self, futures: list, spans: list[trace.Span]) -> None:
        self._pending.extend(zip(futures, spans))

    def settle(self) -> int:
        """Wait for every ack (each within the publisher's ack timeout); end every span; the acknowledged count.
        On a missing ack the producer is discarded (see `EventPublisher.discard`)."""
        pending, self._pending = self._pending, []
        acked = 0
        try:
            for future, _ in pending:
                future.get(timeout=self._publisher.ack_timeout_s)
                acked += 1
        except KafkaError as exc:
            self.error = exc
            _mark_failed([span for _, span in pending[acked:]], exc)
            self._publisher.discard()
        finally:
            for _, span in pending:
                span.end()
        return acked


class EventPublisher:
    """Publishes envelopes keyed by aggregate id with an idempotent producer (acks=all) and waits for the ack, or,
    inside `acks_deferred`, leaves the wait to the caller's `AckBatch` (a consumer's whole poll at once).

    The producer is created on first use, so a service starts even while Kafka is down.
    """

    def __init__(self, bootstrap_servers: str, client_id: str, ack_timeout_s: float = 10.0,
                 max_block_ms: int = 5000, tracer: trace.Tracer | None = None) -> None:
        self._tracer = tracer or trace.NoOpTracer()
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._ack_timeout_s = ack_timeout_s
        self._max_block_ms = max_block_ms
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        self._deferring = threading.local()

    @property
    def ack_timeout_s(self) -> float:
        return self._ack_timeout_s

    @contextmanager
    def acks_deferred(self) -> Iterator[AckBatch]:
        """While inside, this thread's `publish`/`publish_all` send and return without waiting for the ack: the
        yielded batch holds the acks for its owner to `settle` (every send of one consumer poll, awaited together
        before its commit: one round trip per poll instead of one per handled event). Other threads are not
        affected; `publish_raw` (retry and dead-letter topics) still waits."""
        batch = AckBatch(self)
        previous = getattr(self._deferring, "batch", None)
        self._deferring.batch = batch
        try:
            yield batch
        finally:
            self._deferring.batch = previous

    def _connected_producer(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                try:
                    request_timeout_ms = min(5000, int(self._ack_timeout_s * 1000))
                    self._producer = KafkaProducer(
                        bootstrap_servers=self._bootstrap,
                        client_id=self._client_id,
                        acks="all",
                        enable_idempotence=True,
                        linger_ms=2,
                        max_block_ms=self._max_block_ms,
                        request_timeout_ms=request_timeout_ms,
                        # Kafka requires delivery timeout > linger + request timeout.
                        delivery_timeout_ms=max(int(self._ack_timeout_s * 1000), request_timeout_ms + 100),
                        bootstrap_timeout_ms=min(5000, self._max_block_ms),  # heartbeats: never block a beat 5 s
                        allow_auto_create_topics=False,
                        reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS,
                    )
                except KafkaError as exc:
                    raise KafkaUnavailable(f"cannot connect producer to {self._bootstrap}: {exc}") from exc
            return self._producer

    @property
    def tracer(self) -> trace.Tracer:
        return self._tracer

    def _send_span(self, topic: str, envelope: Envelope | None, parent: Context | None) -> trace.Span:
        """A PRODUCER span, child of `parent` (or of what is current): the request or handler that caused it."""
        attributes = {"messaging.system": "kafka", "messaging.destination.name": topic,
                      "messaging.operation.type": "send"}
        if envelope is not None:
            attributes.update({"messaging.message.id": envelope.event_id, "messaging.kafka.message.key":
                               envelope.aggregate_id, "faultline.event.type": envelope.type})
        return self._tracer.start_span(f"send {topic}", context=parent, kind=trace.SpanKind.PRODUCER,
                                       attributes=attributes)

    def publish(self, topic: str, envelope: Envelope, headers: Headers | None = None,
                parent: Context | None = None) -> None:
        self.publish_all([(topic, envelope, parent)], headers)

    def publish_all(self, messages: list[tuple[str, Envelope, Context | None]], headers: Headers | None = None) -> None:
        """Send every message, then wait for every ack (in order per key, far faster than one at a time); inside
        `acks_deferred`, only send: the batch waits.

        Each message gets its own producer span, child of its own parent context, injected into its headers.
        """
        producer = self._connected_producer()
        spans = [self._send_span(topic, envelope, parent) for topic, envelope, parent in messages]
        futures = None
        try:
            futures = [
                producer.send(topic, key=envelope.key(), value=envelope.encode(),
                              headers=headers_with_context(list(headers or []), trace.set_span_in_context(span)))
                for (topic, envelope, _), span in zip(messages, spans)
            ]
        except KafkaError as exc:
            _mark_failed(spans, exc)
            self.discard()
            raise KafkaUnavailable(f"publish of {len(messages)} messages failed: {exc!r}") from exc
        finally:
            if futures is None:  # nothing was handed to the batch: the spans end here
                for span in spans:
                    span.end()
        deferred_to: AckBatch | None = getattr(self._deferring, "batch", None)
        acks = deferred_to if deferred_to is not None else AckBatch(self)
        acks.add(futures, spans)
        if deferred_to is None and acks.settle() < len(messages):
            raise KafkaUnavailable(f"publish of {len(messages)} messages failed: {acks.error!r}") from acks.error

    def publish_raw(self, topic: str, key: bytes | None, value: bytes | None, headers: Headers | None = None) -> None:
        """Forward bytes as they are (retry and dead-letter topics), traced as a child of the current span."""
        producer = self._connected_producer()
        with self._tracer.start_as_current_span(f"send {topic}", kind=trace.SpanKind.PRODUCER,
                                                attributes={"messaging.system": "kafka",
                                                            "messaging.destination.name": topic}):
            try:
                future = producer.send(topic, key=key, value=value, headers=headers_with_context(
                    [(k, v) for k, v in headers or [] if k not in TRACE_HEADERS]))
                future.get(timeout=self._ack_timeout_s)
            except KafkaError as exc:
                self.discard()
                raise KafkaUnavailable(f"publish to {topic} failed: {exc!r}") from exc

    def discard(self) -> None:
        """Drop a producer whose send failed; the next publish connects a new one. After a broker crash with batches
        in flight, kafka-python's idempotent producer can stay wedged (every later send times out) until replaced."""
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=0)
            except KafkaError as exc:  # batches still unacknowledged (acks=all, replicas down): they are given up
                log.warning("discarded a producer with unacknowledged batches: %r", exc)

    def close(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=timeout_s)
                self._producer = None
