"""What the HA profile's replicated parts say about themselves: Kafka's brokers, partition leaders and ISR, the
active KRaft controller; Redis's primary (as the Sentinels name it) and its replicas' lag.

Read-only, each answer bounded by a short timeout; None (or an `error`) when the part cannot be asked.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from faultline_ops.settings import Settings

ADMIN_TIMEOUT_MS = 3000
STATUS_TOPICS = ("orders", "inventory")   # the saga's event topics: the partitions status lists
REDIS_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class PartitionView:
    topic: str
    partition: int
    leader: int          # -1 while no leader
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


@dataclass(frozen=True)
class KafkaView:
    brokers: tuple[int, ...]               # registered (unfenced) broker ids
    controller: int | None                 # the active controller: the leader of the KRaft quorum
    controller_epoch: int | None
    voters: tuple[int, ...]
    partitions: tuple[PartitionView, ...]
    error: str | None = None

    def under_replicated(self) -> list[PartitionView]:
        return [p for p in self.partitions if len(p.isr) < len(p.replicas)]

    def leaders(self, topic: str) -> dict[int, int]:
        return {p.partition: p.leader for p in self.partitions if p.topic == topic}


@dataclass(frozen=True)
class ReplicaView:
    address: str
    state: str
    lag_bytes: int | None      # the primary's replication offset minus the replica's
    lag_s: int | None          # seconds since the replica last acknowledged


@dataclass(frozen=True)
class RedisView:
    primary: str | None        # host:port as the Sentinels name it
    sentinels_agreeing: int    # Sentinels naming that primary
    sentinels: int
    replicas: tuple[ReplicaView, ...] = field(default=())
    error: str | None = None


def _admin(bootstrap: str):
    from kafka import KafkaAdminClient

    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="faultline-ha",
                            request_timeout_ms=ADMIN_TIMEOUT_MS, bootstrap_timeout_ms=ADMIN_TIMEOUT_MS)


def kafka_view(settings: Settings, topics: list[str] | None = None) -> KafkaView:
    """Brokers, the active controller and every partition's leader and ISR (all topics, or `topics`)."""
    try:
        admin = _admin(settings.kafka_bootstrap)
    except Exception as error:  # noqa: BLE001 - status reports, it never fails
        return KafkaView((), None, None, (), (), error=f"{type(error).__name__}: {error}")
    try:
        cluster = admin.describe_cluster()
        brokers = tuple(sorted(b["broker_id"] for b in cluster["brokers"]))
        controller = epoch = None
        voters: tuple[int, ...] = ()
        try:
            quorum = admin.describe_metadata_quorum()["topics"][0]["partitions"][0]
            controller, epoch = quorum["leader_id"], quorum["leader_epoch"]
            voters = tuple(sorted(v["replica_id"] for v in quorum["current_voters"]))
        except Exception:  # noqa: BLE001 - a broker without quorum answers leaves the controller unknown
            pass
        partitions = []
        for topic in admin.describe_topics(topics):
            if topic["name"].startswith("__"):
                continue
            for p in topic["partitions"]:
                partitions.append(PartitionView(topic["name"], p["partition_index"], p["leader_id"],
                                                tuple(p["replica_nodes"]), tuple(p["isr_nodes"])))
        partitions.sort(key=lambda p: (p.topic, p.partition))
        return KafkaView(brokers, controller, epoch, voters, tuple(partitions))
    except Exception as error:  # noqa: BLE001
        return KafkaView((), None, None, (), (), error=f"{type(error).__name__}: {error}")
    finally:
        admin.close()


def partitions_seen_by(settings: Settings, node: int, topic: str) -> tuple[PartitionView, ...] | None:
    """`topic`'s partitions (leader, ISR) as node `node`'s own metadata answers them; None when it cannot be asked.
    An admin client asks whichever broker it likes, and a node cut off from the others still answers from its stale
    view, so a partition experiment asks a node on the majority side by id."""
    from kafka.protocol.metadata import MetadataRequest

    request = MetadataRequest(topics=[MetadataRequest.MetadataRequestTopic(name=topic)],
                              allow_auto_topic_creation=False, include_cluster_authorized_operations=False,
                              include_topic_authorized_operations=False)
    try:
        admin = _admin(f"{settings.host}:{settings.kafka_node_port(node)}")
    except Exception:  # noqa: BLE001 - not answering is an answer here
        return None
    manager = admin._manager   # kafka-python has no public "send to this broker"; pinned in constraints.txt

    async def ask():
        return (await manager.send(request, node_id=node)).to_dict()

    try:
        metadata = manager.run(ask)
        return tuple(sorted((PartitionView(t["name"], p["partition_index"], p["leader_id"],
                                           tuple(p["replica_nodes"]), tuple(p["isr_nodes"]))
                             for t in metadata["topics"] for p in t["partitions"]),
                            key=lambda p: p.partition))
    except Exception:  # noqa: BLE001
        return None
    finally:
        admin.close()


def brokers_registered(settings: Settings) -> bool:
    """Every node is a registered broker and the quorum has a leader: the cluster can take topics at RF 3."""
    view = kafka_view(settings, topics=[])
    return view.error is None and len(view.brokers) == len(settings.kafka_nodes) and view.controller is not None


def _parse_replica(value: str | dict) -> dict[str, str]:
    if isinstance(value, dict):
        return {k: str(v) for k, v in value.items()}
    return dict(part.split("=", 1) for part in value.split(",") if "=" in part)


def redis_view(settings: Settings) -> RedisView:
    """The primary the Sentinels name, how many agree, and each replica's lag as the primary reports it."""
    import redis

    named: list[str] = []
    for index in settings.sentinels:
        client = redis.Redis(host=settings.host, port=settings.sentinel_port(index), socket_timeout=REDIS_TIMEOUT_S,
                             socket_connect_timeout=REDIS_TIMEOUT_S, decode_responses=True)
        try:
            host, port = client.sentinel_get_master_addr_by_name(settings.sentinel_master)
            named.append(f"{host}:{port}")
        except (redis.RedisError, TypeError, ValueError):
            pass
        finally:
            client.close()
    if not named:
        return RedisView(None, 0, len(settings.sentinels), error="no Sentinel answers")
    primary = max(set(named), key=named.count)
    host, _, port = primary.rpartition(":")
    client = redis.Redis(host=host, port=int(port), socket_timeout=REDIS_TIMEOUT_S,
                         socket_connect_timeout=REDIS_TIMEOUT_S, decode_responses=True)
    try:
        info = client.info("replication")
    except redis.RedisError as error:
        return RedisView(primary, named.count(primary), len(settings.sentinels), error=f"primary: {error}")
    finally:
        client.close()
    offset = int(info.get("master_repl_offset", 0))
    replicas = []
    for key in sorted(k for k in info if k.startswith("slave") and k[5:].isdigit()):
        fields = _parse_replica(info[key])
        replica_offset = int(fields["offset"]) if fields.get("offset", "").lstrip("-").isdigit() else None
        replicas.append(ReplicaView(f"{fields.get('ip')}:{fields.get('port')}", fields.get("state", "?"),
                                    None if replica_offset is None else max(offset - replica_offset, 0),
                                    int(fields["lag"]) if fields.get("lag", "").isdigit() else None))
    return RedisView(primary, named.count(primary), len(settings.sentinels), tuple(replicas))


# --- nodes by role, for the chaos backend ------------------------------------------------------------------------
def busiest_partition(settings: Settings, topic: str) -> tuple[int, int] | None:
    """(partition, leader node) of the `topic` partition holding the most records, or None when unknown."""
    from kafka import KafkaConsumer, TopicPartition

    view = kafka_view(settings, topics=[topic])
    leaders = {p.partition: p.leader for p in view.partitions if p.topic == topic and p.leader >= 0}
    if not leaders:
        return None
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, client_id="faultline-ha",
                             request_timeout_ms=ADMIN_TIMEOUT_MS + 1000, enable_auto_commit=False)
    try:
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in leaders])
    except Exception:  # noqa: BLE001 - no offsets: any partition will do
        ends = {}
    finally:
        consumer.close()
    partition = max(leaders, key=lambda p: (ends.get(TopicPartition(topic, p), 0), -p))
    return partition, leaders[partition]


def active_controller(settings: Settings) -> int | None:
    return kafka_view(settings, topics=[]).controller


def redis_node_of(settings: Settings, address: str | None) -> int | None:
    """The node number of a Redis host:port (as Sentinel names it), or None."""
    if not address:
        return None
    port = int(address.rpartition(":")[2])
    return next((n for n in settings.redis_nodes if settings.redis_node_port(n) == port), None)


def redis_primary(settings: Settings) -> int | None:
    return redis_node_of(settings, redis_view(settings).primary)
