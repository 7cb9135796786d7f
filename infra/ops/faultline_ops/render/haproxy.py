"""HAProxy in front of every service's replicas: the local stand-in for a Kubernetes Service."""

from __future__ import annotations

import shlex
from string import Template

from faultline_ops.render.program import Program, config_fingerprint
from faultline_ops.settings import SERVICES, Settings

_GLOBAL = Template("""\
# Rendered by faultline_ops.render.haproxy; edits are overwritten by `faultline up`.
global
    log stdout format raw local0 info
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    # Log only errors and abnormal sessions (503s, retries, redispatches), not every request.
    option dontlog-normal
    option redispatch
    # A replica that dies mid-request (SIGKILL, crash) resets the connection: retry on another replica, as a
    # client of a Kubernetes Service would. Connection failures always retry; a request already sent is
    # retried only when repeating it is safe (see disable-l7-retry in each backend).
    retries 2
    retry-on conn-failure empty-response junk-response
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s

listen stats
    bind $host:$stats_port
    stats enable
    stats uri /
    stats refresh 5s
""")

_SERVICE = Template("""
frontend $service
    bind $host:$front_port
    default_backend $service

backend $service
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    # Every second while up; every 250 ms while a replica is failing or down, so a dead one leaves and a restarted
    # one returns within a quarter second of answering.
    default-server inter 1s fastinter 250ms downinter 250ms fall 2 rise 1
    # POSTs repeat safely only with an Idempotency-Key (checkout, place order): never re-send the others.
    http-request disable-l7-retry if METH_POST !{ req.hdr(Idempotency-Key) -m found }
$servers""")


def _servers(settings: Settings, service: str) -> str:
    return "".join(
        f"    server {name} {settings.host}:{settings.replica_port(service, i)} check\n"
        for i, name in enumerate(settings.instances(service), start=1)
    )


def haproxy_cfg(settings: Settings) -> str:
    parts = [_GLOBAL.substitute(host=settings.host, stats_port=settings.haproxy_stats_port)]
    for service in SERVICES:
        parts.append(_SERVICE.substitute(
            service=service,
            host=settings.host,
            front_port=settings.front_port(service),
            servers=_servers(settings, service),
        ))
    return "".join(parts)


def files(settings: Settings) -> dict:
    return {settings.haproxy_dir / "haproxy.cfg": haproxy_cfg(settings)}


def program(settings: Settings) -> Program:
    return Program(
        name="haproxy",
        command=shlex.join(["haproxy", "-f", str(settings.haproxy_dir / "haproxy.cfg"), "-db"]),
        directory=settings.haproxy_dir,
        port=settings.haproxy_stats_port,
        probe="http",
        priority=50,
        environment=config_fingerprint(haproxy_cfg(settings)),
    )
