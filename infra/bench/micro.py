"""In-process measurements for `make bench`: each one times the kit's way and the bare library's way back to back.

- one REST hop: `faultline_kit.http_client.ServiceClient` (breaker, retry budget; with tracing: the requests
  instrumentation the services install) vs a bare `requests.Session`, against the same bare gunicorn server;
- Kafka produce: `faultline_kit.kafka_bus.EventPublisher` vs a bare `KafkaProducer` with the same settings
  (acks=all, idempotent, linger 2 ms), one message at a time (wait for each ack) and in batches; and beside them
  a bare confluent-kafka Producer with the same settings (the alternative client, confluent_side.py);
- Kafka consume: `faultline_kit.kafka_bus.ConsumerLoop` (decode + validate the envelope, no-op handler, commit per
  batch) vs a bare kafka-python poll loop (no decode, commit per batch) over the same pre-filled topic, and the
  same bare loop through confluent-kafka's Consumer.

Every function answers plain numbers; bench.py repeats them and builds the table.
"""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timezone

import requests
from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import OffsetAndMetadata, TopicPartition

import confluent_side
from faultline_kit.envelope import Envelope
from faultline_kit.http_client import ServiceClient
from faultline_kit.kafka_bus import ConsumerLoop, ConsumerSpec, EventPublisher
from faultline_kit.resilience import StatusBoard
from faultline_kit.topology import ensure_topics

PRODUCER_SETTINGS = dict(acks="all", enable_idempotence=True, linger_ms=2)
PRODUCERS = ("kit", "bare", "confluent")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


# --- one REST hop -------------------------------------------------------------------------------------------------
def interleaved(calls: dict, n: int, block: int = 50, warmup: int = 50) -> dict[str, dict[str, float]]:
    """Time each variant's call n times, in turns of `block` calls (A B C A B C ...), so that a noisy neighbour
    slows every variant alike; answers calls/s over the variant's own time, p50 and p99 in µs."""
    latencies: dict[str, list[float]] = {name: [] for name in calls}
    for name, (call, enter, leave) in calls.items():
        enter()
        for _ in range(warmup):
            call()
        leave()
    for _ in range(0, n, block):
        for name, (call, enter, leave) in calls.items():
            enter()
            for _ in range(block):
                t = time.perf_counter()
                call()
                latencies[name].append((time.perf_counter() - t) * 1e6)
            leave()
    return {name: {"per_s": len(values) / (sum(values) / 1e6), "p50_us": percentile(values, 0.5),
                   "p99_us": percentile(values, 0.99)} for name, values in latencies.items()}


def _nothing() -> None:
    pass


def rest_hop(base_url: str, tracing: "Tracing", n: int = 1000) -> dict[str, dict[str, float]]:
    """GET /livez in one thread: bare requests, the kit's client (fresh breaker and budget), and the kit's client
    with the requests instrumentation a traced service installs; interleaved in blocks."""
    bare = requests.Session()
    kit = ServiceClient("bench", base_url, board=StatusBoard())
    traced = ServiceClient("bench-traced", base_url, board=StatusBoard())

    def bare_call():
        bare.get(f"{base_url}/livez", timeout=2).raise_for_status()

    try:
        return interleaved({
            "bare": (bare_call, _nothing, _nothing),
            "kit": (lambda: kit.get("/livez").raise_for_status(), _nothing, _nothing),
            "kit_traced": (lambda: traced.get("/livez").raise_for_status(), tracing.instrument, tracing.uninstrument),
        }, n)
    finally:
        for session in (bare, kit.session, traced.session):
            session.close()
        tracing.flush()


class Tracing:
    """What a traced service installs for outbound HTTP: the requests instrumentation on a TracerProvider with a
    batch span processor. Exports over OTLP/HTTP when an endpoint is given, else into memory."""

    def __init__(self, otlp_endpoint: str | None) -> None:
        from opentelemetry.instrumentation.requests import RequestsInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
            self.exporter = f"OTLP/HTTP to {otlp_endpoint}"
        else:
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

            exporter = InMemorySpanExporter()
            self.exporter = "in memory (no OTLP endpoint)"
        self._memory = None if otlp_endpoint else exporter
        self.provider = TracerProvider(resource=Resource.create({"service.name": "faultline-bench"}))
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self._instrumentor = RequestsInstrumentor()

    def instrument(self) -> None:
        self._instrumentor.instrument(tracer_provider=self.provider)

    def uninstrument(self) -> None:
        self._instrumentor.uninstrument()

    def flush(self) -> None:
        self.provider.force_flush()
        if self._memory is not None:
            self._memory.clear()


# --- Kafka --------------------------------------------------------------------------------------------------------
def envelope(order_id: str, lamport: int) -> Envelope:
    """An OrderPlaced-sized envelope."""
    return Envelope(event_id=str(uuid.uuid4()), type="BenchEvent", schema_version=1, producer="bench",
                    aggregate_id=order_id, aggregate_version=1, lamport=lamport,
                    occurred_at=datetime.now(timezone.utc),
                    payload={"order_id": order_id, "email": "bench@example.com", "total_cents": 2598,
                             "lines": [{"sku": "FL-001", "quantity": 2, "unit_price_cents": 1299}]})


def new_topic(bootstrap: str, partitions: int = 6) -> str:
    topic = f"bench-{uuid.uuid4().hex[:10]}"
    ensure_topics(bootstrap, partitions, topics=[topic])
    return topic


def produce(bootstrap: str, topic: str, n: int = 1000, batch: int = 100) -> dict[str, dict[str, float]]:
    """Messages/s and CPU µs per message through the kit, a bare KafkaProducer and a bare confluent-kafka Producer,
    one at a time (each ack awaited) and in batches of `batch`; the three take turns every 50 messages (one at a
    time) or every batch, on the same topic; all encode each envelope. CPU is this process's (every thread: the
    clients' IO threads too) over a variant's turns, while the other two are idle."""
    envelopes = [envelope(f"order-{i % 64}", i) for i in range(n)]
    publisher = EventPublisher(bootstrap, client_id="bench-kit")
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id="bench-bare", **PRODUCER_SETTINGS)
    confluent = confluent_side.ConfluentProducer(bootstrap, topic, linger_ms=PRODUCER_SETTINGS["linger_ms"])
    publisher.publish(topic, envelopes[0])   # connect and warm up outside the clock
    producer.send(topic, key=envelopes[0].key(), value=envelopes[0].encode()).get(timeout=10)
    confluent.one_at_a_time([(envelopes[0].key(), envelopes[0].encode())])

    def bare_sync(chunk):
        for e in chunk:
            producer.send(topic, key=e.key(), value=e.encode()).get(timeout=10)

    def bare_batch(chunk):
        for future in [producer.send(topic, key=e.key(), value=e.encode()) for e in chunk]:
            future.get(timeout=10)

    runs = {("kit", "sync"): lambda chunk: [publisher.publish(topic, e) for e in chunk],
            ("bare", "sync"): bare_sync,
            ("confluent", "sync"): lambda chunk: confluent.one_at_a_time([(e.key(), e.encode()) for e in chunk]),
            ("kit", "batch"): lambda chunk: publisher.publish_all([(topic, e, None) for e in chunk]),
            ("bare", "batch"): bare_batch,
            ("confluent", "batch"): lambda chunk: confluent.batch([(e.key(), e.encode()) for e in chunk])}
    wall = {key: 0.0 for key in runs}
    cpu = dict(wall)
    for mode, step in (("sync", 50), ("batch", batch)):
        for i in range(0, n, step):
            for who in PRODUCERS:
                started, cpu_started = time.perf_counter(), time.process_time()
                runs[(who, mode)](envelopes[i:i + step])
                wall[(who, mode)] += time.perf_counter() - started
                cpu[(who, mode)] += time.process_time() - cpu_started
    publisher.close()
    producer.close()
    confluent.close()
    return {who: {figure: value for mode in ("sync", "batch")
                  for figure, value in ((f"{mode}_per_s", n / wall[(who, mode)]),
                                        (f"{mode}_cpu_us", 1e6 * cpu[(who, mode)] / n))}
            for who in PRODUCERS}


def fill(bootstrap: str, topic: str, n: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id="bench-fill", **PRODUCER_SETTINGS)
    for i in range(n):
        e = envelope(f"order-{i % 256}", i)
        producer.send(topic, key=e.key(), value=e.encode())
    producer.flush(timeout=60)
    producer.close()


class _Clock:
    """First and last processing time of a consume run, when `n` records were seen, and the process's CPU seconds
    from the clock's start until then (every thread: the client's IO threads too)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.first = self.last = 0.0
        self.cpu_started = time.process_time()
        self.cpu = 0.0
        self.done = threading.Event()

    def tick(self) -> None:
        now = time.perf_counter()
        if self.count == 0:
            self.first = now
        self.count += 1
        self.last = now
        if self.count == self.n:
            self.cpu = time.process_time() - self.cpu_started
            self.done.set()

    def result(self, started: float) -> dict[str, float]:
        steady = (self.n - 1) / (self.last - self.first) if self.last > self.first else 0.0
        return {"per_s": steady, "total_s": self.last - started, "cpu_us": 1e6 * self.cpu / self.n}


class _Counting:
    """A handler that handles every event by counting it."""

    def __init__(self, clock: _Clock) -> None:
        self._clock = clock

    def handles(self, event_type: str) -> bool:
        return True

    def __call__(self, envelope) -> None:
        self._clock.tick()


def consume_kit(bootstrap: str, topic: str, n: int, timeout_s: float = 120) -> dict[str, float]:
    clock = _Clock(n)
    spec = ConsumerSpec(bootstrap, f"bench-kit-{uuid.uuid4().hex[:8]}", (topic,), "bench-kit-consumer")
    loop = ConsumerLoop(spec, _Counting(clock), EventPublisher(bootstrap, client_id="bench-kit-consumer"))
    stop = threading.Event()
    started = time.perf_counter()
    thread = threading.Thread(target=loop.run, args=(stop,), name="bench-consumer", daemon=True)
    thread.start()
    finished = clock.done.wait(timeout_s)
    stop.set()
    thread.join(timeout=30)
    if not finished:
        raise RuntimeError(f"the kit's consumer saw {clock.count} of {n} records in {timeout_s:g} s")
    return clock.result(started)


def consume_bare(bootstrap: str, topic: str, n: int, timeout_s: float = 120) -> dict[str, float]:
    """The same consumer settings as the kit's loop; per batch: count every record, commit offset+1."""
    clock = _Clock(n)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=f"bench-bare-{uuid.uuid4().hex[:8]}",
                             client_id="bench-bare-consumer", enable_auto_commit=False,
                             auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=2000,
                             max_poll_records=100)
    consumer.subscribe([topic])
    started = time.perf_counter()
    deadline = time.monotonic() + timeout_s
    try:
        while not clock.done.is_set() and time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500)
            offsets: dict[TopicPartition, OffsetAndMetadata] = {}
            for partition, records in batch.items():
                for record in records:
                    clock.tick()
                    offsets[partition] = OffsetAndMetadata(record.offset + 1, "", -1)
            if offsets:
                consumer.commit(offsets)
    finally:
        consumer.close(autocommit=False)
    if not clock.done.is_set():
        raise RuntimeError(f"the bare consumer saw {clock.count} of {n} records in {timeout_s:g} s")
    return clock.result(started)


def consume_confluent(bootstrap: str, topic: str, n: int, timeout_s: float = 120) -> dict[str, float]:
    """The same loop as consume_bare's, through confluent-kafka's Consumer."""
    clock = _Clock(n)
    started = time.perf_counter()
    confluent_side.consume(bootstrap, topic, clock, timeout_s)
    if not clock.done.is_set():
        raise RuntimeError(f"the confluent-kafka consumer saw {clock.count} of {n} records in {timeout_s:g} s")
    return clock.result(started)


CONSUMERS = {"kit": consume_kit, "bare": consume_bare, "confluent": consume_confluent}


def consume(bootstrap: str, topic: str, n: int, round_: int) -> dict[str, dict[str, float]]:
    """The three consumers one after another over the same pre-filled topic, the order rotated every round."""
    names = list(CONSUMERS)
    shift = round_ % len(names)
    return {name: CONSUMERS[name](bootstrap, topic, n) for name in names[shift:] + names[:shift]}
