"""Kafka topics and consumer groups, and their explicit creation (the broker never auto-creates them).

A namespace (FAULTLINE_KAFKA_NAMESPACE) prefixes every topic and group, so two systems can share one broker:
the test suite runs an in-process saga beside a running stack that way.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

ORDERS_TOPIC = "orders"
INVENTORY_TOPIC = "inventory"
HEARTBEATS_TOPIC = "heartbeats"
EVENT_TOPICS = (ORDERS_TOPIC, INVENTORY_TOPIC)
CONSUMER_GROUPS = ("inventory", "order", "email")
# Heartbeats are read whole by every instance: one partition, kept for an hour.
TOPIC_OVERRIDES = {HEARTBEATS_TOPIC: (1, {"retention.ms": "3600000"})}


def retry_topic(group: str) -> str:
    return f"{group}.retry"


def dead_letter_topic(group: str) -> str:
    return f"{group}.dlq"


@dataclass(frozen=True)
class Topology:
    namespace: str = ""

    def name(self, base: str) -> str:
        return f"{self.namespace}.{base}" if self.namespace else base

    @property
    def orders(self) -> str:
        return self.name(ORDERS_TOPIC)

    @property
    def inventory(self) -> str:
        return self.name(INVENTORY_TOPIC)

    @property
    def heartbeats(self) -> str:
        return self.name(HEARTBEATS_TOPIC)

    def group(self, service: str) -> str:
        return self.name(service)

    def all_topics(self) -> list[str]:
        topics = [self.orders, self.inventory, self.heartbeats]
        for group in CONSUMER_GROUPS:
            topics += [retry_topic(self.group(group)), dead_letter_topic(self.group(group))]
        return topics

    def partitions_of(self, topic: str, default: int) -> tuple[int, dict[str, str]]:
        for base, override in TOPIC_OVERRIDES.items():
            if topic == self.name(base):
                return override
        return default, {}


def all_topics(namespace: str = "") -> list[str]:
    return Topology(namespace).all_topics()


def ensure_topics(bootstrap_servers: str, partitions: int, topics: list[str] | None = None,
                  namespace: str = "", replication_factor: int = 1,
                  topic_configs: dict[str, str] | None = None) -> list[str]:
    """Create the missing topics; return the names it created.

    `replication_factor` is 1 on one broker; a replicated cluster passes its size and, in `topic_configs`, e.g.
    {"min.insync.replicas": "2"} (applied to every topic it creates, under each topic's own overrides).
    """
    topology = Topology(namespace)
    wanted = topics if topics is not None else topology.all_topics()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="faultline-topology")
    try:
        existing = set(admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            new_topics = []
            for name in missing:
                count, configs = topology.partitions_of(name, partitions)
                new_topics.append(NewTopic(name=name, num_partitions=count, replication_factor=replication_factor,
                                           topic_configs={**(topic_configs or {}), **configs}))
            try:
                admin.create_topics(new_topics)
            except TopicAlreadyExistsError:
                log.info("topics were created concurrently: %s", missing)
        return missing
    finally:
        admin.close()
