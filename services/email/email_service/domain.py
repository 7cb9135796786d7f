"""What each order outcome says to the customer. Pure: no I/O."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mail:
    message_id: str
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class SentMail:
    event_id: str
    event_type: str
    order_id: str
    to: str
    subject: str
    sent_at: str


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def confirmation(event_id: str, order_id: str, to: str, total_cents: int, line_count: int) -> Mail:
    return Mail(event_id, to, f"Order {order_id} confirmed",
                f"Your order {order_id} ({line_count} line(s), total {_money(total_cents)}) is confirmed.")


def rejection(event_id: str, order_id: str, to: str, reason: str) -> Mail:
    return Mail(event_id, to, f"Order {order_id} could not be placed",
                f"We could not place your order {order_id}: {reason}. Nothing was charged.")


def cancellation(event_id: str, order_id: str, to: str, total_cents: int) -> Mail:
    return Mail(event_id, to, f"Order {order_id} cancelled",
                f"Your order {order_id} was cancelled; {_money(total_cents)} will be refunded.")
