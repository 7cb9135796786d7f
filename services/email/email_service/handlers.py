"""Send one mail per order outcome event, at most once per event id as far as the record goes."""
from __future__ import annotations

from typing import Callable, Protocol

from .domain import Mail, SentMail, cancellation, confirmation, rejection
from .events import OrderCancelled, OrderConfirmed, OrderRejected

Outcome = OrderConfirmed | OrderRejected | OrderCancelled


class Mailer(Protocol):
    def send(self, mail: Mail, on_accepted: Callable[[], None]) -> None: ...


class SentMails(Protocol):
    def already_sent(self, event_id: str) -> bool: ...

    def record(self, sent: SentMail) -> bool: ...


def compose(event_id: str, event: Outcome) -> Mail:
    if isinstance(event, OrderConfirmed):
        return confirmation(event_id, event.order_id, event.email, event.total_cents, len(event.lines))
    if isinstance(event, OrderRejected):
        return rejection(event_id, event.order_id, event.email, event.reason)
    return cancellation(event_id, event.order_id, event.email, event.total_cents)


def notify_customer(event_id: str, event: Outcome, mailer: Mailer, sent: SentMails,
                    now: Callable[[], str]) -> SentMail | None:
    """Mail the customer unless this event was mailed already; None for a duplicate."""
    if sent.already_sent(event_id):
        return None
    mail = compose(event_id, event)
    record = SentMail(event_id, event.event_type, event.order_id, mail.to, mail.subject, now())
    mailer.send(mail, on_accepted=lambda: sent.record(record))
    return record
