"""Apache Kafka in KRaft combined mode (broker + controller), one node on loopback."""

from __future__ import annotations

import shlex
from string import Template

from faultline_ops.render.program import Program, config_fingerprint
from faultline_ops.settings import Settings

NODE_ID = 1
HEAP = "512m"
DEDUPE_BUFFER_BYTES = 8 * 1024 * 1024

_SERVER_PROPERTIES = Template("""\
# Rendered by faultline_ops.render.kafka; edits are overwritten by `faultline up`.
process.roles=broker,controller
node.id=$node_id
# Static quorum: formatted with StorageTool `-t <cluster id>` (no --standalone).
controller.quorum.voters=$node_id@$host:$controller_port
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller_port
advertised.listeners=PLAINTEXT://$host:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER

log.dirs=$data_dir
# Topics are created by the project (faultline_kit.topology), never by a client asking for one.
auto.create.topics.enable=false
num.partitions=1

# A single node: every replication factor and min ISR is 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=12
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

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


def server_properties(settings: Settings) -> str:
    return _SERVER_PROPERTIES.substitute(
        node_id=NODE_ID,
        host=settings.host,
        port=settings.kafka_port,
        controller_port=settings.kafka_controller_port,
        data_dir=settings.kafka_data,
        dedupe_buffer=DEDUPE_BUFFER_BYTES,
    )


def log4j2_yaml(settings: Settings) -> str:
    return _LOG4J2_YAML.substitute(logs=settings.logs)


def files(settings: Settings) -> dict:
    return {
        settings.kafka_dir / "server.properties": server_properties(settings),
        settings.kafka_dir / "log4j2.yaml": log4j2_yaml(settings),
    }


def java_command(settings: Settings, main_class: str, *args: str) -> list[str]:
    """argv for a Kafka main class on the Maven-assembled class path."""
    return [
        "java",
        f"-Dlog4j2.configurationFile={settings.kafka_dir / 'log4j2.yaml'}",
        "-cp",
        settings.kafka_classpath,
        main_class,
        *args,
    ]


def format_command(settings: Settings, cluster_id: str) -> list[str]:
    """StorageTool format, run once before the first start (static quorum, so no --standalone)."""
    return java_command(
        settings, "kafka.tools.StorageTool", "format", "-t", cluster_id,
        "-c", str(settings.kafka_dir / "server.properties"), "--ignore-formatted",
    )


def program(settings: Settings) -> Program:
    argv = ["java", f"-Xmx{HEAP}", f"-Xms{HEAP}", *java_command(settings, "kafka.Kafka",
                                                              str(settings.kafka_dir / "server.properties"))[1:]]
    return Program(
        name="kafka",
        command=shlex.join(argv),
        directory=settings.kafka_dir,
        port=settings.kafka_port,
        probe="kafka",
        priority=10,
        environment=config_fingerprint(server_properties(settings), log4j2_yaml(settings)),
    )
