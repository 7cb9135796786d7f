"""Mailpit: the SMTP sink, with a web UI and a REST API the tests read mail from."""

from __future__ import annotations

import shlex

from faultline_ops.render.program import Program
from faultline_ops.settings import Settings

MAX_MESSAGES = 10000


def argv(settings: Settings) -> list[str]:
    return [
        str(settings.mailpit_bin),
        "--listen", f"{settings.host}:{settings.mailpit_port}",
        "--smtp", f"{settings.host}:{settings.smtp_port}",
        "--database", str(settings.mailpit_dir / "mailpit.db"),
        "--max", str(MAX_MESSAGES),
        # No authentication: any client, any (or no) credentials, plain text on loopback.
        "--smtp-auth-accept-any",
        "--smtp-auth-allow-insecure",
        # No network beyond loopback here: never ask for the latest release.
        "--disable-version-check",
    ]


def program(settings: Settings) -> Program:
    return Program(
        name="mailpit",
        command=shlex.join(argv(settings)),
        directory=settings.mailpit_dir,
        port=settings.mailpit_port,
        probe="readyz",
        priority=10,
    )
