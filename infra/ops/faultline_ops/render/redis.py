"""Redis with an append-only file, so a restart keeps state."""

from __future__ import annotations

import shlex
from string import Template

from faultline_ops.render.program import Program, config_fingerprint
from faultline_ops.settings import Settings

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


def redis_conf(settings: Settings) -> str:
    return _REDIS_CONF.substitute(host=settings.host, port=settings.redis_port, data_dir=settings.redis_dir)


def files(settings: Settings) -> dict:
    return {settings.redis_dir / "redis.conf": redis_conf(settings)}


def program(settings: Settings) -> Program:
    return Program(
        name="redis",
        command=shlex.join(["redis-server", str(settings.redis_dir / "redis.conf")]),
        directory=settings.redis_dir,
        port=settings.redis_port,
        probe="redis",
        priority=10,
        environment=config_fingerprint(redis_conf(settings)),
    )
