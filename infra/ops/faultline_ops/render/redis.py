"""Redis with an append-only file, so a restart keeps state; in the HA profile a primary, two replicas and three
Sentinels (quorum 2 to agree the primary is down; a majority of the three to authorise a failover).

Sentinel rewrites its own file and the nodes' files (REPLICAOF, CONFIG REWRITE) when it moves the primary, so in the
HA profile those files are state: written once, on the first `up`, and deleted by `faultline clean`.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from string import Template

from faultline_ops.render.program import Program, config_fingerprint
from faultline_ops.settings import Settings

SENTINEL_QUORUM = 2
SENTINEL_DOWN_AFTER_MS = 3000       # a primary silent this long is subjectively down
SENTINEL_FAILOVER_TIMEOUT_MS = 10000

_REDIS_CONF = Template("""\
# Rendered by faultline_ops.render.redis; edits are overwritten by `faultline up`.
bind $host
port $port
daemonize no
supervised no
dir $data_dir
logfile ""
loglevel notice
# Durability through the AOF only; no RDB snapshots on top of it.
appendonly yes
appendfsync everysec
save ""
""")

_REPLICA = Template("""\
# A replica of the first primary; Sentinel rewrites this line when it moves the primary.
replicaof $host $primary_port
replica-read-only yes
""")

_SENTINEL_CONF = Template("""\
# Rendered once by faultline_ops.render.redis; from then on Sentinel owns this file (it records its id, its peers
# and the current primary here).
bind $host
port $port
daemonize no
dir $data_dir
logfile ""
sentinel resolve-hostnames no
sentinel monitor $master $host $primary_port $quorum
sentinel down-after-milliseconds $master $down_after_ms
sentinel failover-timeout $master $failover_timeout_ms
sentinel parallel-syncs $master 1
""")


def redis_conf(settings: Settings, node: int = 1) -> str:
    text = _REDIS_CONF.substitute(host=settings.host, port=settings.redis_node_port(node),
                                  data_dir=settings.redis_node_dir(node))
    if settings.ha:
        text = text.replace("edits are overwritten by `faultline up`", "written on the first `up`, then Sentinel's")
        if node != 1:
            text += _REPLICA.substitute(host=settings.host, primary_port=settings.redis_port)
    return text


def sentinel_conf(settings: Settings, index: int) -> str:
    return _SENTINEL_CONF.substitute(
        host=settings.host, port=settings.sentinel_port(index), data_dir=settings.sentinel_dir(index),
        master=settings.sentinel_master, primary_port=settings.redis_port, quorum=SENTINEL_QUORUM,
        down_after_ms=SENTINEL_DOWN_AFTER_MS, failover_timeout_ms=SENTINEL_FAILOVER_TIMEOUT_MS)


def conf_path(settings: Settings, node: int = 1) -> Path:
    return settings.redis_node_dir(node) / "redis.conf"


def sentinel_path(settings: Settings, index: int) -> Path:
    return settings.sentinel_dir(index) / "sentinel.conf"


def files(settings: Settings) -> dict:
    """Files `up` keeps equal to their rendering (the default profile's redis.conf)."""
    return {} if settings.ha else {conf_path(settings): redis_conf(settings)}


def state_files(settings: Settings) -> dict:
    """Files `up` writes only when they are missing (the HA profile's, which Sentinel rewrites)."""
    if not settings.ha:
        return {}
    return {**{conf_path(settings, n): redis_conf(settings, n) for n in settings.redis_nodes},
            **{sentinel_path(settings, i): sentinel_conf(settings, i) for i in settings.sentinels}}


def node_program(settings: Settings, node: int) -> Program:
    return Program(
        name=settings.redis_node_name(node),
        command=shlex.join(["redis-server", str(conf_path(settings, node))]),
        directory=settings.redis_node_dir(node),
        port=settings.redis_node_port(node),
        probe="redis",
        priority=10,
        environment=config_fingerprint(redis_conf(settings, node)),
    )


def sentinel_program(settings: Settings, index: int) -> Program:
    return Program(
        name=f"sentinel-{index}",
        command=shlex.join(["redis-server", str(sentinel_path(settings, index)), "--sentinel"]),
        directory=settings.sentinel_dir(index),
        port=settings.sentinel_port(index),
        probe="redis",
        priority=11,
        environment=config_fingerprint(sentinel_conf(settings, index)),
    )


def program(settings: Settings) -> Program:
    """The single Redis of the default profile."""
    return node_program(settings, 1)


def programs(settings: Settings) -> list[Program]:
    return ([node_program(settings, n) for n in settings.redis_nodes]
            + [sentinel_program(settings, i) for i in settings.sentinels])
