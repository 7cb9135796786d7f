"""Settings of the local stack: one frozen dataclass, built from the environment when asked for."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from faultline_ops.services import APIS as SERVICES
REPLICA_PORT_STRIDE = 10000
DEFAULT_KAFKA_VERSION = "4.3.1"
DEFAULT_ZIPKIN_VERSION = "3.5.1"
DEFAULT_OTEL_COLLECTOR_VERSION = "0.148.0"
DEFAULT_MAILPIT_VERSION = "v1.33.1"
MAX_SOCKET_PATH = 100
PROFILES = ("default", "ha")
PROFILE_FILE = "profile"      # in the state dir: the profile its data was made for
HA_NODES = 3                  # Kafka nodes, Redis nodes and Sentinels of the HA profile
SENTINEL_MASTER = "faultline"
# Calls that always go through a Toxiproxy listener, so an experiment can cut or slow them: (client, downstream).
PROXIED_ROUTES: tuple[tuple[str, str], ...] = (("cart", "inventory"), ("cart", "order"))
# HA profile: every Kafka node-to-node connection goes through a Toxiproxy listener of its own, one per direction
# and kind (a follower's replication fetches; Raft votes, fetches and broker heartbeats to the controllers), so
# `partition-broker` can cut one node off from the other two while clients still reach it.
KAFKA_LINK_KINDS = ("replication", "controller")
# A node's listeners for its peers (one per peer and kind) listen this far above FAULTLINE_KAFKA_PORT.
KAFKA_PEER_PORT_SHIFT = 30

# Environment name -> (field name, default). Every port and count the stack uses.
_INT_SETTINGS: dict[str, tuple[str, int]] = {
    "FAULTLINE_KAFKA_PORT": ("kafka_port", 19092),
    "FAULTLINE_KAFKA_CONTROLLER_PORT": ("kafka_controller_port", 19093),
    "FAULTLINE_REDIS_PORT": ("redis_port", 16379),
    "FAULTLINE_SMTP_PORT": ("smtp_port", 1025),
    "FAULTLINE_MAILPIT_PORT": ("mailpit_port", 8025),
    "FAULTLINE_ORDER_PORT": ("order_port", 8081),
    "FAULTLINE_CART_PORT": ("cart_port", 8082),
    "FAULTLINE_INVENTORY_PORT": ("inventory_port", 8083),
    "FAULTLINE_EMAIL_PORT": ("email_port", 8084),
    "FAULTLINE_HAPROXY_STATS_PORT": ("haproxy_stats_port", 8404),
    # Toxiproxy's API; its proxies listen on the ports right above it (see PROXIED_ROUTES).
    "FAULTLINE_TOXIPROXY_PORT": ("toxiproxy_port", 8474),
    "FAULTLINE_ZIPKIN_PORT": ("zipkin_port", 9411),
    "FAULTLINE_OTLP_PORT": ("otlp_port", 4318),
    "FAULTLINE_CONSOLE_PORT": ("console_port", 8090),
    # The HA profile only (`faultline up --ha`): Kafka nodes 2 and 3, two Redis replicas, three Sentinels. Below
    # 30000 with any test offset, and away from the service replicas' +10000 ports.
    "FAULTLINE_KAFKA_2_PORT": ("kafka_2_port", 19094),
    "FAULTLINE_KAFKA_2_CONTROLLER_PORT": ("kafka_2_controller_port", 19095),
    "FAULTLINE_KAFKA_3_PORT": ("kafka_3_port", 19096),
    "FAULTLINE_KAFKA_3_CONTROLLER_PORT": ("kafka_3_controller_port", 19097),
    "FAULTLINE_REDIS_2_PORT": ("redis_2_port", 16380),
    "FAULTLINE_REDIS_3_PORT": ("redis_3_port", 16381),
    "FAULTLINE_SENTINEL_1_PORT": ("sentinel_1_port", 16389),
    "FAULTLINE_SENTINEL_2_PORT": ("sentinel_2_port", 16390),
    "FAULTLINE_SENTINEL_3_PORT": ("sentinel_3_port", 16391),
    "FAULTLINE_REPLICAS": ("replicas", 2),
    "FAULTLINE_TOPIC_PARTITIONS": ("topic_partitions", 6),
}


def port_defaults() -> dict[str, tuple[str, int]]:
    """Environment name -> (field, default) for every port the stack opens."""
    return {name: spec for name, spec in _INT_SETTINGS.items() if name.endswith("_PORT")}


def repo_root() -> Path:
    """The checkout this package is installed from (editable install: infra/ops/faultline_ops)."""
    return Path(__file__).resolve().parents[3]


class SupervisedHome:
    """The paths faultline_ops.supervisor needs, from a state folder (`home`) and the checkout (`repo`): shared by
    the local stack's settings and the cluster's, each running its own supervisord."""

    @property
    def venv_bin(self) -> Path:
        return self.repo / ".venv" / "bin"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def supervisor_conf(self) -> Path:
        return self.home / "supervisord.conf"

    @property
    def supervisor_socket(self) -> Path:
        """In the state dir, unless that path is too long for a Unix socket (about 107 bytes)."""
        socket = self.home / "supervisor.sock"
        if len(str(socket)) <= MAX_SOCKET_PATH:
            return socket
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"faultline-{digest}.sock"

    @property
    def supervisor_pidfile(self) -> Path:
        return self.home / "supervisord.pid"


@dataclass(frozen=True)
class Settings(SupervisedHome):
    repo: Path
    home: Path
    cache: Path
    kafka_version: str = DEFAULT_KAFKA_VERSION
    zipkin_version: str = DEFAULT_ZIPKIN_VERSION
    otel_collector_version: str = DEFAULT_OTEL_COLLECTOR_VERSION
    mailpit_version: str = DEFAULT_MAILPIT_VERSION
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    redis_port: int = 16379
    smtp_port: int = 1025
    mailpit_port: int = 8025
    order_port: int = 8081
    cart_port: int = 8082
    inventory_port: int = 8083
    email_port: int = 8084
    haproxy_stats_port: int = 8404
    toxiproxy_port: int = 8474
    zipkin_port: int = 9411     # Zipkin's UI and v2 API
    otlp_port: int = 4318       # OTLP over HTTP into the OpenTelemetry Collector, which sends traces to Zipkin
    console_port: int = 8090    # the control room
    kafka_2_port: int = 19094
    kafka_2_controller_port: int = 19095
    kafka_3_port: int = 19096
    kafka_3_controller_port: int = 19097
    redis_2_port: int = 16380
    redis_3_port: int = 16381
    sentinel_1_port: int = 16389
    sentinel_2_port: int = 16390
    sentinel_3_port: int = 16391
    replicas: int = 2
    topic_partitions: int = 6
    profile: str = "default"    # "ha": three Kafka nodes, Redis primary + 2 replicas + 3 Sentinels
    admin_token: str = "local-admin-token"
    host: str = "127.0.0.1"
    # OTEL_* variables of the caller, passed on to every service instance.
    otel_env: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        if self.replicas < 1:
            raise ValueError(f"replicas must be at least 1, got {self.replicas}")
        if self.topic_partitions < 1:
            raise ValueError(f"topic partitions must be at least 1, got {self.topic_partitions}")
        for service in SERVICES:
            highest = self.replica_port(service, self.replicas)
            if highest > 65535:
                raise ValueError(
                    f"{service} replica {self.replicas} would listen on port {highest} (> 65535): "
                    f"lower FAULTLINE_{service.upper()}_PORT or the replica count"
                )

    # --- derived values -------------------------------------------------------------------------
    def with_replicas(self, replicas: int | None) -> "Settings":
        return self if replicas is None else replace(self, replicas=replicas)

    def with_profile(self, profile: str | None) -> "Settings":
        return self if profile is None else replace(self, profile=profile)

    # --- the HA profile ---------------------------------------------------------------------------
    @property
    def ha(self) -> bool:
        return self.profile == "ha"

    @property
    def kafka_nodes(self) -> list[int]:
        """Kafka node ids: 1, or 1..3 in the HA profile (each a combined broker + controller)."""
        return list(range(1, HA_NODES + 1)) if self.ha else [1]

    def kafka_node_port(self, node: int) -> int:
        return self.kafka_port if node == 1 else getattr(self, f"kafka_{node}_port")

    def kafka_node_controller_port(self, node: int) -> int:
        return self.kafka_controller_port if node == 1 else getattr(self, f"kafka_{node}_controller_port")

    def kafka_links(self) -> list[tuple[int, int, str]]:
        """(from node, to node, kind) of every node-to-node connection of the HA profile, in a fixed order."""
        nodes = self.kafka_nodes if self.ha else []
        return [(a, b, kind) for a in nodes for b in nodes if a != b for kind in KAFKA_LINK_KINDS]

    def kafka_link_name(self, source: int, target: int, kind: str) -> str:
        return f"kafka-{source}-to-{target}-{kind}"

    def kafka_link_port(self, source: int, target: int, kind: str) -> int:
        """The Toxiproxy listener of one link: right above the proxied routes' listeners."""
        return self.toxiproxy_port + 1 + len(PROXIED_ROUTES) + self.kafka_links().index((source, target, kind))

    def kafka_peer_port(self, node: int, peer: int, kind: str) -> int:
        """Where `node` listens for `peer`'s connections of one kind (its listener <KIND>_FOR_<peer>); a node's
        own controller listener is FAULTLINE_KAFKA_*_CONTROLLER_PORT."""
        if kind == "controller" and peer == node:
            return self.kafka_node_controller_port(node)
        count = len(self.kafka_nodes)
        return (self.kafka_port + KAFKA_PEER_PORT_SHIFT + KAFKA_LINK_KINDS.index(kind) * count * count
                + count * (node - 1) + (peer - 1))

    def kafka_node_name(self, node: int) -> str:
        """The supervisor program of a Kafka node: `kafka` alone, `kafka-<node>` in the HA profile."""
        return f"kafka-{node}" if self.ha else "kafka"

    def kafka_node_dir(self, node: int) -> Path:
        return self.kafka_dir / f"node-{node}" if self.ha else self.kafka_dir

    @property
    def kafka_replication_factor(self) -> int:
        return len(self.kafka_nodes)

    @property
    def kafka_min_insync_replicas(self) -> int:
        """2 of 3 in the HA profile: an acknowledged write is on two brokers; 1 on a single node."""
        return 2 if self.ha else 1

    @property
    def redis_nodes(self) -> list[int]:
        """Redis nodes: 1, or 1..3 in the HA profile (node 1 starts as the primary, Sentinel may move it)."""
        return list(range(1, HA_NODES + 1)) if self.ha else [1]

    def redis_node_port(self, node: int) -> int:
        return self.redis_port if node == 1 else getattr(self, f"redis_{node}_port")

    def redis_node_name(self, node: int) -> str:
        return f"redis-{node}" if self.ha else "redis"

    def redis_node_dir(self, node: int) -> Path:
        return self.redis_dir / f"node-{node}" if self.ha else self.redis_dir

    @property
    def sentinels(self) -> list[int]:
        return list(range(1, HA_NODES + 1)) if self.ha else []

    def sentinel_port(self, index: int) -> int:
        return getattr(self, f"sentinel_{index}_port")

    def sentinel_dir(self, index: int) -> Path:
        return self.redis_dir / f"sentinel-{index}"

    @property
    def sentinel_addresses(self) -> str:
        """host:port,host:port,... of every Sentinel (empty outside the HA profile)."""
        return ",".join(f"{self.host}:{self.sentinel_port(i)}" for i in self.sentinels)

    @property
    def sentinel_master(self) -> str:
        return SENTINEL_MASTER

    def front_port(self, service: str) -> int:
        return getattr(self, f"{service}_port")

    def replica_port(self, service: str, index: int) -> int:
        """Replica `index` (1-based) of a service listens on front port + 10000 * index."""
        return self.front_port(service) + REPLICA_PORT_STRIDE * index

    def instances(self, service: str) -> list[str]:
        return [f"{service}-{i}" for i in range(1, self.replicas + 1)]

    def service_url(self, service: str) -> str:
        return f"http://{self.host}:{self.front_port(service)}"

    def proxy_name(self, client: str, downstream: str) -> str:
        return f"{client}-to-{downstream}"

    def proxy_port(self, client: str, downstream: str) -> int:
        """The Toxiproxy listener of one proxied route: the API port + 1, + 2, ... in PROXIED_ROUTES order."""
        return self.toxiproxy_port + 1 + PROXIED_ROUTES.index((client, downstream))

    def peer_url(self, client: str, downstream: str) -> str:
        """Where `client` reaches `downstream`: through its Toxiproxy listener when proxied, else HAProxy."""
        if (client, downstream) in PROXIED_ROUTES:
            return f"http://{self.host}:{self.proxy_port(client, downstream)}"
        return self.service_url(downstream)

    @property
    def zipkin_url(self) -> str:
        return f"http://{self.host}:{self.zipkin_port}"

    @property
    def otlp_endpoint(self) -> str:
        return f"http://{self.host}:{self.otlp_port}"

    @property
    def zipkin_jar(self) -> Path:
        return self.cache / f"zipkin-{self.zipkin_version}" / f"zipkin-server-{self.zipkin_version}-exec.jar"

    @property
    def zipkin_dir(self) -> Path:
        return self.home / "zipkin"

    @property
    def otel_collector_bin(self) -> Path:
        return self.cache / f"otelcol-{self.otel_collector_version}" / "otelcol-faultline"

    @property
    def otel_collector_dir(self) -> Path:
        return self.home / "otel-collector"

    @property
    def console_url(self) -> str:
        return f"http://{self.host}:{self.console_port}"

    @property
    def toxiproxy_url(self) -> str:
        return f"http://{self.host}:{self.toxiproxy_port}"

    @property
    def toxiproxy_bin(self) -> Path:
        return self.cache / "bin" / "toxiproxy-server"

    @property
    def toxiproxy_dir(self) -> Path:
        return self.home / "toxiproxy"

    @property
    def reports(self) -> Path:
        return self.repo / "reports"

    @property
    def kafka_bootstrap(self) -> str:
        """Every broker, comma-separated (clients need only one to answer)."""
        return ",".join(f"{self.host}:{self.kafka_node_port(n)}" for n in self.kafka_nodes)

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}/0"

    @property
    def mailpit_url(self) -> str:
        return f"http://{self.host}:{self.mailpit_port}"

    @property
    def kafka_libs(self) -> Path:
        return self.cache / f"kafka-{self.kafka_version}" / "libs"

    @property
    def kafka_classpath(self) -> str:
        return f"{self.kafka_libs}/*"

    @property
    def mailpit_bin(self) -> Path:
        """Built with its web UI by bootstrap (infra/bootstrap.sh, MAILPIT_VERSION)."""
        return self.cache / f"mailpit-{self.mailpit_version}" / "mailpit"


    @property
    def kafka_dir(self) -> Path:
        return self.home / "kafka"

    @property
    def kafka_data(self) -> Path:
        return self.kafka_dir / "data"

    @property
    def redis_dir(self) -> Path:
        return self.home / "redis"

    @property
    def mailpit_dir(self) -> Path:
        return self.home / "mailpit"

    @property
    def haproxy_dir(self) -> Path:
        return self.home / "haproxy"



def recorded_profile(home: Path) -> str | None:
    """The profile a state dir's data was made for (written by `faultline up`), or None for a new one."""
    try:
        return (home / PROFILE_FILE).read_text().strip() or None
    except OSError:
        return None


def _int_env(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def kafka_version_from_pom(repo: Path) -> str:
    """The Kafka version infra/kafka/pom.xml assembles (the cache folder is named after it)."""
    return _first_match(repo / "infra" / "kafka" / "pom.xml", r"<kafka\.version>\s*([^<\s]+)\s*</kafka\.version>",
                        DEFAULT_KAFKA_VERSION)


def zipkin_version_from_pom(repo: Path) -> str:
    """The Zipkin version infra/zipkin/pom.xml fetches (the cache folder is named after it)."""
    return _first_match(repo / "infra" / "zipkin" / "pom.xml", r"<zipkin\.version>\s*([^<\s]+)\s*</zipkin\.version>",
                        DEFAULT_ZIPKIN_VERSION)


def otel_collector_version_from_manifest(repo: Path) -> str:
    """The Collector version infra/otel-collector/builder-config.yaml builds."""
    return _first_match(repo / "infra" / "otel-collector" / "builder-config.yaml", r"(?m)^\s+version:\s*([0-9.]+)",
                        DEFAULT_OTEL_COLLECTOR_VERSION)


def mailpit_version_from_bootstrap(repo: Path) -> str:
    """The Mailpit version infra/bootstrap.sh builds (the cache folder is named after it)."""
    return _first_match(repo / "infra" / "bootstrap.sh", r'(?m)^MAILPIT_VERSION="([^"]+)"', DEFAULT_MAILPIT_VERSION)


def _first_match(path: Path, pattern: str, default: str) -> str:
    try:
        match = re.search(pattern, path.read_text())
    except OSError:
        match = None
    return match.group(1) if match else default


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `env` (default: os.environ). Called at run time, never at import."""
    env = os.environ if env is None else env
    repo = repo_root()
    home = Path(env.get("FAULTLINE_HOME") or repo / ".run" / "local")
    if not home.is_absolute():
        home = Path.cwd() / home
    cache = Path(env.get("FAULTLINE_CACHE") or Path.home() / ".cache" / "faultline")
    ints = {field_name: _int_env(env, name, default) for name, (field_name, default) in _INT_SETTINGS.items()}
    otel = tuple(sorted((k, v) for k, v in env.items() if k.startswith("OTEL_")))
    home = home.resolve()
    # FAULTLINE_PROFILE wins; else the profile the state dir was started with, so status, chaos and verify see
    # the stack `up` made.
    profile = env.get("FAULTLINE_PROFILE") or recorded_profile(home) or "default"
    return Settings(
        repo=repo,
        home=home,
        cache=cache,
        profile=profile,
        kafka_version=kafka_version_from_pom(repo),
        zipkin_version=zipkin_version_from_pom(repo),
        otel_collector_version=otel_collector_version_from_manifest(repo),
        mailpit_version=mailpit_version_from_bootstrap(repo),
        admin_token=env.get("FAULTLINE_ADMIN_TOKEN") or "local-admin-token",
        otel_env=otel,
        **ints,
    )
