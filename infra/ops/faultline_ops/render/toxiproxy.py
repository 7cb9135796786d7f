"""Toxiproxy: a TCP proxy with an HTTP API, on the routes chaos experiments cut or slow (PROXIED_ROUTES).

Cart reaches inventory and order through it at all times, not only during an experiment, so a partition is an API
call (disable the proxy, add a timeout toxic) rather than a restart with a different address. In the HA profile the
Kafka nodes reach each other through it too, so it starts with the infrastructure there (before the nodes elect).
"""

from __future__ import annotations

import json
import shlex

from faultline_ops.render.program import Program, config_fingerprint
from faultline_ops.settings import PROXIED_ROUTES, Settings


def proxies(settings: Settings) -> list[dict]:
    """The proxies Toxiproxy creates at start: each route's listener forwards to HAProxy's front; in the HA profile
    each Kafka link's listener forwards to the node it leads to (its controller or its replication listener)."""
    routes = [
        {
            "name": settings.proxy_name(client, downstream),
            "listen": f"{settings.host}:{settings.proxy_port(client, downstream)}",
            "upstream": f"{settings.host}:{settings.front_port(downstream)}",
            "enabled": True,
        }
        for client, downstream in PROXIED_ROUTES
    ]
    return routes + [kafka_link(settings, *link) for link in settings.kafka_links()]


def kafka_link(settings: Settings, source: int, target: int, kind: str) -> dict:
    upstream = settings.kafka_peer_port(target, source, kind)
    return {"name": settings.kafka_link_name(source, target, kind),
            "listen": f"{settings.host}:{settings.kafka_link_port(source, target, kind)}",
            "upstream": f"{settings.host}:{upstream}", "enabled": True}


def config_json(settings: Settings) -> str:
    return json.dumps(proxies(settings), indent=2) + "\n"


def files(settings: Settings) -> dict:
    return {settings.toxiproxy_dir / "proxies.json": config_json(settings)}


def program(settings: Settings) -> Program:
    argv = [str(settings.toxiproxy_bin), "-host", settings.host, "-port", str(settings.toxiproxy_port),
            "-config", str(settings.toxiproxy_dir / "proxies.json")]
    return Program(
        name="toxiproxy",
        command=shlex.join(argv),
        directory=settings.toxiproxy_dir,
        port=settings.toxiproxy_port,
        probe="http",
        # In the HA profile the Kafka nodes reach each other only through Toxiproxy: it starts before them and
        # stops after them (supervisord stops higher priorities first), or their controlled shutdown hangs.
        priority=5 if settings.ha else 50,
        environment=config_fingerprint(config_json(settings)),
    )
