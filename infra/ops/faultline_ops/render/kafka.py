"""Apache Kafka in KRaft combined mode (broker + controller) on loopback: one node, or three in the HA profile
(a Raft quorum of 3 voters, topics at replication factor 3 with min.insync.replicas=2)."""

from __future__ import annotations

import shlex
from string import Template

from faultline_ops.render.program import Program, config_fingerprint
from faultline_ops.settings import KAFKA_LINK_KINDS, Settings

NODE_ID = 1
HEAP = "512m"
HA_HEAP = "384m"          # each of three nodes
# How long a broker goes without a heartbeat to the controller before it is fenced. HA: a killed broker's
# partitions move after it. One node: a SIGKILLed broker leaves its registration unfenced in the metadata log, and
# the restarted controller refuses the new incarnation (DUPLICATE_BROKER_REGISTRATION) until that registration's
# session expires, counted from the controller's own start (KAFKA-19130 spares only a cleanly stopped broker);
# Kafka's 9 s default made a restart after kill-kafka take 13-14 s. The chart takes the same values.
HA_BROKER_SESSION_TIMEOUT_MS = 6000
SINGLE_BROKER_SESSION_TIMEOUT_MS = 3000
HEARTBEATS_PER_BROKER_SESSION = 6   # six missed beats fence a live broker
DEDUPE_BUFFER_BYTES = 8 * 1024 * 1024

_SERVER_PROPERTIES = Template("""\
# Rendered by faultline_ops.render.kafka; edits are overwritten by `faultline up`.
process.roles=broker,controller
node.id=$node_id
# Static quorum: formatted with StorageTool `-t <cluster id>` (no --standalone).
controller.quorum.voters=$voters
$listeners

log.dirs=$data_dir
# Topics are created by the project (faultline_kit.topology), never by a client asking for one.
auto.create.topics.enable=false
num.partitions=1

$replication
broker.session.timeout.ms=$session_ms
broker.heartbeat.interval.ms=$heartbeat_ms
offsets.topic.num.partitions=12
transaction.state.log.num.partitions=12

# Local use on 2 cores: no rebalance delay, small buffers and thread pools.
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=$dedupe_buffer
log.cleaner.threads=1
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=168
log.segment.bytes=67108864
""")

_LOG4J2_YAML = Template("""\
# Rendered by faultline_ops.render.kafka. Kafka's own log goes to a file; only warnings reach stdout.
Configuration:
  name: faultline-kafka
  Appenders:
    Console:
      name: STDOUT
      target: SYSTEM_OUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
    RollingFile:
      - name: SERVER
        fileName: "$logs/kafka-server.log"
        filePattern: "$logs/kafka-server.log.%i"
        PatternLayout:
          pattern: "[%d] %p %m (%c)%n"
        SizeBasedTriggeringPolicy:
          size: 20MB
        DefaultRolloverStrategy:
          max: 3
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: SERVER
        - ref: STDOUT
          level: WARN
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: state.change.logger
        level: WARN
      - name: kafka.log.LogCleaner
        level: WARN
      - name: org.apache.kafka.clients
        level: WARN
""")


_SINGLE_NODE_REPLICATION = """\
# A single node: every replication factor and min ISR is 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1"""

_HA_REPLICATION = """\
# Three nodes: every partition on all three, a write acknowledged (acks=all) once two have it; fewer than two in
# sync and produces fail with NOT_ENOUGH_REPLICAS. Only an in-sync replica may become leader (no unclean election).
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2"""


_SINGLE_NODE_LISTENERS = Template("""\
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller_port
advertised.listeners=PLAINTEXT://$host:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER""")

_HA_LISTENERS = Template("""\
# Clients use PLAINTEXT, directly. Node-to-node traffic runs through Toxiproxy, one link per direction and kind, so
# an experiment can partition one node from the others while clients still reach it. Each node has a listener per
# peer and kind (REPLICATION_FOR_<peer>, CONTROLLER_FOR_<peer>) advertised at the Toxiproxy link from that peer; a
# node fetches partitions on its peers' REPLICATION_FOR_$node_id (inter.broker.listener.name) and reaches the
# controllers on their CONTROLLER_FOR_$node_id (the first of controller.listener.names: a Raft leader advertises
# every controller listener, and each follower picks the one named after itself).
listeners=PLAINTEXT://$host:$port,$peer_listeners
advertised.listeners=PLAINTEXT://$host:$port,$peer_advertised
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,$peer_protocols
inter.broker.listener.name=REPLICATION_FOR_$node_id
controller.listener.names=$controller_names""")


def peer_listener(kind: str, peer: int) -> str:
    """The listener name `peer` uses on every node for one kind of traffic: REPLICATION_FOR_2, CONTROLLER_FOR_2."""
    return f"{kind.upper()}_FOR_{peer}"


def voters(settings: Settings, node: int = NODE_ID) -> str:
    """controller.quorum.voters as `node` reaches them: itself directly, the others through their links."""
    def address(voter: int) -> str:
        port = (settings.kafka_node_controller_port(voter) if voter == node or not settings.ha
                else settings.kafka_link_port(node, voter, "controller"))
        return f"{voter}@{settings.host}:{port}"

    return ",".join(address(n) for n in settings.kafka_nodes)


def listeners(settings: Settings, node: int) -> str:
    host = settings.host
    common = {"host": host, "port": settings.kafka_node_port(node),
              "controller_port": settings.kafka_node_controller_port(node), "node_id": node}
    if not settings.ha:
        return _SINGLE_NODE_LISTENERS.substitute(common)
    peers = [node] + [p for p in settings.kafka_nodes if p != node]   # its own names first

    def advertised(peer: int, kind: str) -> int:
        if peer == node:   # a node never connects to itself through a link; its own names are still advertised
            return settings.kafka_peer_port(node, peer, kind)
        return settings.kafka_link_port(peer, node, kind)

    named = [(kind, p) for kind in KAFKA_LINK_KINDS for p in peers]
    return _HA_LISTENERS.substitute(
        common,
        peer_listeners=",".join(f"{peer_listener(k, p)}://{host}:{settings.kafka_peer_port(node, p, k)}"
                                for k, p in named),
        peer_advertised=",".join(f"{peer_listener(k, p)}://{host}:{advertised(p, k)}" for k, p in named),
        peer_protocols=",".join(f"{peer_listener(k, p)}:PLAINTEXT" for k, p in named),
        controller_names=",".join(peer_listener("controller", p) for p in peers),
    )


def node_data(settings: Settings, node: int):
    return settings.kafka_node_dir(node) / "data" if settings.ha else settings.kafka_data


def server_properties(settings: Settings, node: int = NODE_ID) -> str:
    session_ms = HA_BROKER_SESSION_TIMEOUT_MS if settings.ha else SINGLE_BROKER_SESSION_TIMEOUT_MS
    return _SERVER_PROPERTIES.substitute(
        node_id=node,
        voters=voters(settings, node),
        listeners=listeners(settings, node),
        data_dir=node_data(settings, node),
        dedupe_buffer=DEDUPE_BUFFER_BYTES,
        replication=_HA_REPLICATION if settings.ha else _SINGLE_NODE_REPLICATION,
        session_ms=session_ms,
        heartbeat_ms=session_ms // HEARTBEATS_PER_BROKER_SESSION,
    )


def log4j2_yaml(settings: Settings, node: int = NODE_ID) -> str:
    server_log = "kafka-server.log" if not settings.ha else f"kafka-{node}-server.log"
    return _LOG4J2_YAML.substitute(logs=settings.logs).replace("kafka-server.log", server_log)


def properties_path(settings: Settings, node: int = NODE_ID):
    return settings.kafka_node_dir(node) / "server.properties"


def files(settings: Settings) -> dict:
    rendered = {}
    for node in settings.kafka_nodes:
        directory = settings.kafka_node_dir(node)
        rendered[directory / "server.properties"] = server_properties(settings, node)
        rendered[directory / "log4j2.yaml"] = log4j2_yaml(settings, node)
    return rendered


def java_command(settings: Settings, main_class: str, *args: str, node: int = NODE_ID) -> list[str]:
    """argv for a Kafka main class on the Maven-assembled class path."""
    return [
        "java",
        f"-Dlog4j2.configurationFile={settings.kafka_node_dir(node) / 'log4j2.yaml'}",
        "-cp",
        settings.kafka_classpath,
        main_class,
        *args,
    ]


def format_command(settings: Settings, cluster_id: str, node: int = NODE_ID) -> list[str]:
    """StorageTool format, run once per node before its first start (static quorum, so no --standalone)."""
    return java_command(
        settings, "kafka.tools.StorageTool", "format", "-t", cluster_id,
        "-c", str(properties_path(settings, node)), "--ignore-formatted", node=node,
    )


def node_program(settings: Settings, node: int) -> Program:
    heap = HA_HEAP if settings.ha else HEAP
    argv = ["java", f"-Xmx{heap}", f"-Xms{heap}",
            *java_command(settings, "kafka.Kafka", str(properties_path(settings, node)), node=node)[1:]]
    return Program(
        name=settings.kafka_node_name(node),
        command=shlex.join(argv),
        directory=settings.kafka_node_dir(node),
        port=settings.kafka_node_port(node),
        probe="kafka",
        priority=10,
        environment=config_fingerprint(server_properties(settings, node), log4j2_yaml(settings, node)),
    )


def program(settings: Settings) -> Program:
    """The single node of the default profile."""
    return node_program(settings, NODE_ID)


def programs(settings: Settings) -> list[Program]:
    return [node_program(settings, node) for node in settings.kafka_nodes]
