"""The control room (services/console): one gunicorn process, started with the services, watching them."""

from __future__ import annotations

import shlex

from faultline_ops.render.program import Program
from faultline_ops.settings import Settings, port_defaults


def environment(settings: Settings) -> tuple[tuple[str, str], ...]:
    """The console builds the same stack settings as the `faultline` CLI (ports, replicas, state dir, token), so
    its buttons drive this stack through the chaos runner's local backend."""
    ports = {name: str(getattr(settings, field)) for name, (field, _) in port_defaults().items()}
    env = {
        "FAULTLINE_SERVICE": "console",
        "FAULTLINE_INSTANCE_ID": "console",
        "FAULTLINE_BIND": f"{settings.host}:{settings.console_port}",
        "FAULTLINE_CONSOLE_BACKEND": "local",
        "FAULTLINE_HOME": str(settings.home),
        "FAULTLINE_CACHE": str(settings.cache),
        "FAULTLINE_REPLICAS": str(settings.replicas),
        "FAULTLINE_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "FAULTLINE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "FAULTLINE_ADMIN_TOKEN": settings.admin_token,
        "PYTHONUNBUFFERED": "1",
        **ports,
    }
    return tuple(env.items())


def program(settings: Settings) -> Program:
    argv = [str(settings.venv_bin / "gunicorn"), "-c", "python:faultline_kit.gunicorn_conf",
            "console_service.app:create_app()"]
    return Program(
        name="console",
        command=shlex.join(argv),
        directory=settings.repo,
        port=settings.console_port,
        probe="http",
        autostart=False,   # started by `faultline up` with the services, not with the infrastructure
        priority=150,
        environment=environment(settings),
    )
