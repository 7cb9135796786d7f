"""Kafka topics the system uses and their explicit creation (the broker never auto-creates them)."""
from __future__ import annotations

import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

ORDERS_TOPIC = "orders"
INVENTORY_TOPIC = "inventory"
EVENT_TOPICS = (ORDERS_TOPIC, INVENTORY_TOPIC)
CONSUMER_GROUPS = ("inventory", "order", "email")


def retry_topic(group: str) -> str:
    return f"{group}.retry"


def dead_letter_topic(group: str) -> str:
    return f"{group}.dlq"


def all_topics() -> list[str]:
    topics = list(EVENT_TOPICS)
    for group in CONSUMER_GROUPS:
        topics += [retry_topic(group), dead_letter_topic(group)]
    return topics


def ensure_topics(bootstrap_servers: str, partitions: int, topics: list[str] | None = None) -> list[str]:
    """Create the missing topics (replication factor 1: one broker); return the names it created."""
    wanted = topics if topics is not None else all_topics()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="faultline-topology")
    try:
        existing = set(admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            try:
                admin.create_topics(
                    [NewTopic(name=name, num_partitions=partitions, replication_factor=1) for name in missing]
                )
            except TopicAlreadyExistsError:
                log.info("topics were created concurrently: %s", missing)
        return missing
    finally:
        admin.close()
