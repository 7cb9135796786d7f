"""One gunicorn process per service replica, each a supervisor program in its service's group."""

from __future__ import annotations

import shlex

from faultline_ops.render import otel_collector
from faultline_ops.render.program import Program
from faultline_ops.settings import SERVICES, Settings


def app_spec(service: str) -> str:
    return f"{service}_service.app:create_app()"


def environment(settings: Settings, service: str, index: int) -> tuple[tuple[str, str], ...]:
    env = {
        "FAULTLINE_SERVICE": service,
        "FAULTLINE_INSTANCE_ID": f"{service}-{index}",
        "FAULTLINE_BIND": f"{settings.host}:{settings.replica_port(service, index)}",
        "FAULTLINE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "FAULTLINE_REDIS_URL": settings.redis_url,
        # HA profile: the primary is found through the Sentinels (FAULTLINE_REDIS_URL gives only the db number).
        **({"FAULTLINE_REDIS_SENTINELS": settings.sentinel_addresses,
            "FAULTLINE_REDIS_SENTINEL_MASTER": settings.sentinel_master,
            # inventory's reservations count only once a replica has them (CP; cart and order do not wait: AP)
            "FAULTLINE_REDIS_WAIT_REPLICAS": "1"} if settings.ha else {}),
        # Peers are reached through HAProxy's front ports, as through a Kubernetes Service; the routes chaos
        # experiments partition go through a Toxiproxy listener in front of that port.
        **{f"FAULTLINE_{peer.upper()}_URL": settings.peer_url(service, peer) for peer in SERVICES},
        "FAULTLINE_SMTP_HOST": settings.host,
        "FAULTLINE_SMTP_PORT": str(settings.smtp_port),
        "FAULTLINE_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "FAULTLINE_ADMIN_TOKEN": settings.admin_token,
        "PYTHONUNBUFFERED": "1",
        **otel_collector.otel_environment(settings),
        **dict(settings.otel_env),  # the caller's OTEL_* win
    }
    return tuple(env.items())


def instance_program(settings: Settings, service: str, index: int) -> Program:
    gunicorn = settings.venv_bin / "gunicorn"
    argv = [str(gunicorn), "-c", "python:faultline_kit.gunicorn_conf", app_spec(service)]
    return Program(
        name=f"{service}-{index}",
        group=service,
        command=shlex.join(argv),
        directory=settings.repo,
        port=settings.replica_port(service, index),
        probe="readyz",
        # Started by `faultline up` once Kafka's topics exist, not by supervisord on its own.
        autostart=False,
        priority=100,
        environment=environment(settings, service, index),
    )


def programs(settings: Settings) -> list[Program]:
    return [
        instance_program(settings, service, index)
        for service in SERVICES
        for index in range(1, settings.replicas + 1)
    ]
