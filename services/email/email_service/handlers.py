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


def _confirmation(event_id: str, event: OrderConfirmed) -> Mail:
    return confirmation(event_id, event.order_id, event.email, event.total_cents, len(event.lines))


def _rejection(event_id: str, event: OrderRejected) -> Mail:
    return rejection(event_id, event.order_id, event.email, event.reason)


def _cancellation(event_id: str, event: OrderCancelled) -> Mail:
    return cancellation(event_id, event.order_id, event.email, event.total_cents)


MAIL_FOR: dict[type, Callable[[str, Outcome], Mail]] = {
    OrderConfirmed: _confirmation, OrderRejected: _rejection, OrderCancelled: _cancellation}


def compose(event_id: str, event: Outcome) -> Mail:
    return MAIL_FOR[type(event)](event_id, event)


def notify_customer(event: Outcome, event_id: str, mailer: Mailer, sent: SentMails, now: Callable[[], str]) -> None:
    """Mail the customer unless this event was mailed already; the mail is recorded once SMTP accepted it."""
    if sent.already_sent(event_id):
        return
    mail = compose(event_id, event)
    record = SentMail(event_id, event.event_type, event.order_id, mail.to, mail.subject, now())
    mailer.send(mail, on_accepted=lambda: sent.record(record))
