"""Kafka topics the system uses and their explicit creation (the broker never auto-creates them)."""
from __future__ import annotations

import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

ORDERS_TOPIC = "orders"
INVENTORY_TOPIC = "inventory"
HEARTBEATS_TOPIC = "heartbeats"
EVENT_TOPICS = (ORDERS_TOPIC, INVENTORY_TOPIC)
# Heartbeats are read whole by every instance: one partition, kept for an hour.
TOPIC_OVERRIDES = {HEARTBEATS_TOPIC: (1, {"retention.ms": "3600000"})}
CONSUMER_GROUPS = ("inventory", "order", "email")


def retry_topic(group: str) -> str:
    return f"{group}.retry"


def dead_letter_topic(group: str) -> str:
    return f"{group}.dlq"


def all_topics() -> list[str]:
    topics = [*EVENT_TOPICS, HEARTBEATS_TOPIC]
    for group in CONSUMER_GROUPS:
        topics += [retry_topic(group), dead_letter_topic(group)]
    return topics


def _new_topic(name: str, partitions: int) -> NewTopic:
    count, configs = TOPIC_OVERRIDES.get(name, (partitions, {}))
    return NewTopic(name=name, num_partitions=count, replication_factor=1, topic_configs=configs)


def ensure_topics(bootstrap_servers: str, partitions: int, topics: list[str] | None = None) -> list[str]:
    """Create the missing topics (replication factor 1: one broker); return the names it created."""
    wanted = topics if topics is not None else all_topics()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="faultline-topology")
    try:
        existing = set(admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            try:
                admin.create_topics([_new_topic(name, partitions) for name in missing])
            except TopicAlreadyExistsError:
                log.info("topics were created concurrently: %s", missing)
        return missing
    finally:
        admin.close()
