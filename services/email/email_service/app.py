"""create_app(settings=None, deps=None): email's app from what `bootstrap` built (real adapters unless given)."""
from __future__ import annotations

from flask import Flask

from faultline_kit.bootstrap import Consuming, serve

from .adapters.smtp_mailer import SMTP_ERRORS
from .bootstrap import EmailDeps, bootstrap
from .config import EmailSettings
from .entrypoints.api import email_blueprint
from .entrypoints.openapi import email_openapi
from .messaging import MESSAGING


def create_app(settings: EmailSettings | None = None, deps: EmailDeps | None = None) -> Flask:
    deps = deps or bootstrap(settings)
    instance = deps.instance
    return serve(
        __name__, instance,
        store_ping=deps.sent.ping,
        openapi=email_openapi(),
        blueprints=[email_blueprint(deps.sent)],
        # While SMTP is down the consumer pauses (its breaker is open) instead of burning mails into the DLQ.
        consuming=Consuming(MESSAGING, provides={"mailer": deps.mailer, "sent": deps.sent, "now": instance.wall.now_iso},
                            dependencies=(instance.dependency("smtp", SMTP_ERRORS),)),
    )
