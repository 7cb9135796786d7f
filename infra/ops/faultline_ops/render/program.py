"""What one supervisor program is, independent of how supervisord's file spells it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


def config_fingerprint(*texts: str) -> tuple[tuple[str, str], ...]:
    """An environment entry that changes with a program's rendered config files.

    supervisord restarts a program on `update` only when its own section changed; carrying the config's
    hash in the section makes a changed haproxy.cfg or server.properties restart the program that reads it.
    """
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
    return (("FAULTLINE_CONFIG_SHA256", digest),)


@dataclass(frozen=True)
class Program:
    name: str                   # supervisor program name, also the name `faultline status` shows
    command: str
    directory: Path
    port: int                   # the port a person connects to (shown by status)
    probe: str                  # how readiness is checked: kafka | redis | readyz | http | tcp
    group: str | None = None    # supervisor group (one per service)
    autostart: bool = True
    priority: int = 100
    environment: tuple[tuple[str, str], ...] = field(default=())

    @property
    def qualified_name(self) -> str:
        """The name supervisorctl and the XML-RPC API use: `group:name` inside a group."""
        return f"{self.group}:{self.name}" if self.group else self.name
