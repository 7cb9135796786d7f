"""The alternative Kafka client, bare, for `make bench`'s side-by-side: confluent-kafka (librdkafka in its wheel).

The services speak Kafka through kafka-python (the design card names it). To see what librdkafka would buy where
kafka-python's own code is the cost, micro.py drives this producer and this poll loop exactly as it drives the bare
kafka-python ones: the same settings (acks=all, idempotent, linger 2 ms; no auto-commit, a synchronous commit per
batch of up to 100), the same topic, the same process, taking turns.
"""
from __future__ import annotations

import time
import uuid

import confluent_kafka

BATCH = 100


class ConfluentProducer:
    """confluent-kafka's Producer, driven like a bare KafkaProducer: one message at a time or a batch, then wait for
    every ack (flush), raising if one failed."""

    def __init__(self, bootstrap: str, topic: str, linger_ms: int) -> None:
        self.topic = topic
        self.producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "client.id": "bench-confluent",
                                                 "acks": "all", "enable.idempotence": True,
                                                 "linger.ms": linger_ms})
        self.failed: list[str] = []

    def _delivered(self, error, message) -> None:
        if error is not None:
            self.failed.append(str(error))

    def _await_acks(self) -> None:
        left = self.producer.flush(10)
        if left or self.failed:
            raise RuntimeError(f"confluent-kafka: {left} messages unacknowledged, errors {self.failed[:3]}")

    def one_at_a_time(self, messages: list[tuple[bytes, bytes]]) -> None:
        for key, value in messages:
            self.producer.produce(self.topic, value=value, key=key, on_delivery=self._delivered)
            self._await_acks()

    def batch(self, messages: list[tuple[bytes, bytes]]) -> None:
        for key, value in messages:
            self.producer.produce(self.topic, value=value, key=key, on_delivery=self._delivered)
        self._await_acks()

    def close(self) -> None:
        self._await_acks()


def consume(bootstrap: str, topic: str, clock, deadline_s: float = 120) -> None:
    """Read `topic` from the start until `clock` (micro._Clock) has seen its n records: per batch, tick each record,
    commit offset+1 per partition synchronously."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap,
                                         "group.id": f"bench-confluent-{uuid.uuid4().hex[:8]}",
                                         "client.id": "bench-confluent-consumer", "enable.auto.commit": False,
                                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    deadline = time.monotonic() + deadline_s
    try:
        while not clock.done.is_set() and time.monotonic() < deadline:
            records = consumer.consume(num_messages=BATCH, timeout=0.5)
            errors = [r.error() for r in records if r.error() is not None]
            if errors:
                raise RuntimeError(f"confluent-kafka consumer: {errors[:3]}")
            last: dict[int, int] = {}
            for record in records:
                clock.tick()
                last[record.partition()] = record.offset()
            if last:
                consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, partition, offset + 1)
                                         for partition, offset in last.items()], asynchronous=False)
    finally:
        consumer.close()


def versions() -> dict[str, str]:
    return {"confluent_kafka": confluent_kafka.__version__, "librdkafka": confluent_kafka.libversion()[0]}
