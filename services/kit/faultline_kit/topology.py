"""Kafka names and their explicit creation (the broker never auto-creates topics).

The kit names no service's topic or group. Each service declares the names it owns and reads as `Channels`, and
publishes them under the `faultline.channels` entry point, so whatever creates topics (the stack, the chart's
init containers, a test) finds every service installed beside it. The kit owns one topic: the heartbeats.

A namespace (FAULTLINE_KAFKA_NAMESPACE) prefixes every topic and group, so two systems can share one broker:
the test suite runs an in-process saga beside a running stack that way.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import entry_points

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

CHANNELS_ENTRY_POINT = "faultline.channels"
HEARTBEATS_TOPIC = "heartbeats"
# Heartbeats are read whole by every instance: one partition, kept for an hour.
TOPIC_OVERRIDES = {HEARTBEATS_TOPIC: (1, {"retention.ms": "3600000"})}


def retry_topic(group: str) -> str:
    return f"{group}.retry"


def dead_letter_topic(group: str) -> str:
    return f"{group}.dlq"


@dataclass(frozen=True)
class Channels:
    """The Kafka names one service owns or reads: its consumer group, the topics it consumes, those it publishes to.

    A group owns its retry and dead-letter topics (`<group>.retry`, `<group>.dlq`)."""

    group: str | None = None
    consumes: tuple[str, ...] = ()
    publishes: tuple[str, ...] = ()

    def topics(self) -> list[str]:
        owned = [retry_topic(self.group), dead_letter_topic(self.group)] if self.group else []
        return [*self.publishes, *self.consumes, *owned]


def installed_channels() -> dict[str, Channels]:
    """Every installed service's channels, by service name (its `faultline.channels` entry point)."""
    return {point.name: point.load() for point in sorted(entry_points(group=CHANNELS_ENTRY_POINT),
                                                         key=lambda point: point.name)}


@dataclass(frozen=True)
class Topology:
    namespace: str = ""

    def name(self, base: str) -> str:
        return f"{self.namespace}.{base}" if self.namespace else base

    @property
    def heartbeats(self) -> str:
        return self.name(HEARTBEATS_TOPIC)

    def group(self, base: str) -> str:
        return self.name(base)

    def topics_of(self, *channels: Channels) -> list[str]:
        """The namespaced topics of these channels, the heartbeats first, each once."""
        names = [HEARTBEATS_TOPIC] + [topic for channel in channels for topic in channel.topics()]
        return [self.name(base) for base in dict.fromkeys(names)]

    def all_topics(self) -> list[str]:
        """The topics of every installed service."""
        return self.topics_of(*installed_channels().values())

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
    """Create the missing topics (every installed service's unless named); return the names it created.

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
