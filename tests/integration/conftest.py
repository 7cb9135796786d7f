"""Integration fixtures over the real broker and Redis of the test stack; every test gets its own topics and DB."""
from __future__ import annotations

import contextlib
import threading
import uuid
from typing import Iterator

import pytest
import redis
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient
from kafka.structs import TopicPartition

from faultline_kit.kafka_bus import ConsumerLoop, EventPublisher
from faultline_kit.topology import dead_letter_topic, ensure_topics, retry_topic

pytestmark = pytest.mark.integration

INTEGRATION_DB = 1  # the services use DB 0; integration tests never touch it


@pytest.fixture
def bootstrap(infra) -> str:
    return infra.settings.kafka_bootstrap


@pytest.fixture
def redis_client(infra) -> Iterator[redis.Redis]:
    client = redis.Redis(host=infra.settings.host, port=infra.settings.redis_port, db=INTEGRATION_DB,
                         decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def publisher(bootstrap) -> Iterator[EventPublisher]:
    pub = EventPublisher(bootstrap, client_id=f"it-{uuid.uuid4().hex[:6]}")
    yield pub
    pub.close()


@pytest.fixture
def group_topics(bootstrap) -> Iterator[tuple[str, str]]:
    """A fresh (source topic, consumer group) pair with the group's retry and dead-letter topics."""
    suffix = uuid.uuid4().hex[:8]
    source, group = f"it-source-{suffix}", f"it-group-{suffix}"
    topics = [source, retry_topic(group), dead_letter_topic(group)]
    ensure_topics(bootstrap, partitions=3, topics=topics)
    yield source, group
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.delete_topics(topics)
    finally:
        admin.close()


def read_topic(bootstrap: str, topic: str, at_least: int, timeout_s: float = 20.0) -> list:
    """Every record of `topic` from the beginning, once at least `at_least` are there (or the deadline passes)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list = []
        deadline = threading.Event()
        timer = threading.Timer(timeout_s, deadline.set)
        timer.start()
        try:
            while len(records) < at_least and not deadline.is_set():
                for batch in consumer.poll(timeout_ms=200).values():
                    records.extend(batch)
        finally:
            timer.cancel()
        return records
    finally:
        consumer.close()


@contextlib.contextmanager
def running(loop: ConsumerLoop) -> Iterator[threading.Thread]:
    """Run a consumer loop on a thread for the block; stop it (commit, leave the group) afterwards."""
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=15)
