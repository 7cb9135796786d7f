"""Builds email's adapters: the only place that knows the real ones. Each argument replaces one by name."""
from __future__ import annotations

from dataclasses import dataclass

from faultline_kit.bootstrap import Instance, assemble
from faultline_kit.telemetry import Telemetry

from . import handlers
from .adapters.sent_store import SentStore
from .adapters.smtp_mailer import SmtpMailer
from .config import EmailSettings


@dataclass(frozen=True)
class EmailDeps:
    instance: Instance
    sent: SentStore
    mailer: handlers.Mailer


def bootstrap(settings: EmailSettings | None = None, *, telemetry: Telemetry | None = None,
              instance: Instance | None = None, sent: SentStore | None = None,
              mailer: handlers.Mailer | None = None) -> EmailDeps:
    settings = settings or EmailSettings.from_env()
    instance = instance or assemble(settings.kit, telemetry=telemetry)
    return EmailDeps(instance, sent or SentStore(instance.redis),
                     mailer or SmtpMailer(settings.smtp_host, settings.smtp_port, settings.sender,
                                          tracer=instance.tracer))
