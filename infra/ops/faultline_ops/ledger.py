"""A ledger of acknowledged writes: what clients were told succeeded, to compare with what the system holds after a
fault. A write the system acknowledged and then lost is a violation, whatever the fault was.

Per write class (its consistency choice in docs/failure-handling.md):
- orders accepted (202 from checkout, AP intake): each must still be known to order;
- confirmations seen (an order the customer saw CONFIRMED): it must still be CONFIRMED (or CANCELLED after);
- reservations (CP): every order seen or now CONFIRMED must have its RESERVED (or RELEASED, once cancelled)
  reservation in inventory;
- cart lines (AP): a line acknowledged (200) and then missing shows as a checkout answered 409 "Cart is empty";
  counted and shown, not judged (the cart accepts and may lose the last writes before a failover, by choice).

The chaos runner fills one during a run and writes it as ledger.json beside the report; `faultline verify --ledger
FILE` compares a ledger file with the running system.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from faultline_ops.verify import Check, Snapshot

KEEPS_RESERVATION = {"CONFIRMED": {"RESERVED"}, "CANCELLED": {"RESERVED", "RELEASED"}}
SAMPLE = 3


@dataclass
class Ledger:
    accepted: dict[str, str] = field(default_factory=dict)      # Idempotency-Key -> order id (202)
    confirmed: set[str] = field(default_factory=set)            # order ids a client saw CONFIRMED
    carts_acknowledged: int = 0                                  # cart lines answered 200
    carts_found_empty: list[str] = field(default_factory=list)  # checkouts answered 409 after their line's 200

    def to_json(self) -> str:
        return json.dumps({"accepted": self.accepted, "confirmed": sorted(self.confirmed),
                           "carts_acknowledged": self.carts_acknowledged,
                           "carts_found_empty": self.carts_found_empty}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Ledger":
        doc = json.loads(text)
        return cls(dict(doc.get("accepted") or {}), set(doc.get("confirmed") or ()),
                   int(doc.get("carts_acknowledged") or 0), list(doc.get("carts_found_empty") or ()))

    @classmethod
    def read(cls, path: Path) -> "Ledger":
        return cls.from_json(path.read_text())


def _e_g(items: list[str]) -> str:
    return f" e.g. {', '.join(items[:SAMPLE])}" if items else ""


@dataclass(frozen=True)
class Comparison:
    """Per write class: how many were acknowledged and which of them the system no longer holds."""

    accepted: int
    lost_orders: list[str]
    confirmed: int
    lost_confirmations: list[str]
    holding: int
    lost_reservations: list[str]
    carts_acknowledged: int
    carts_found_empty: list[str]

    def lost(self) -> dict[str, int]:
        return {"orders": len(self.lost_orders), "confirmations": len(self.lost_confirmations),
                "reservations": len(self.lost_reservations), "cart lines": len(self.carts_found_empty)}

    def checks(self) -> list[Check]:
        return [
            Check("acknowledged orders kept", not self.lost_orders,
                  f"{self.accepted} accepted (202), {len(self.lost_orders)} unknown to order{_e_g(self.lost_orders)}"),
            Check("acknowledged confirmations kept", not self.lost_confirmations,
                  f"{self.confirmed} seen CONFIRMED, {len(self.lost_confirmations)} no longer"
                  f"{_e_g(self.lost_confirmations)}"),
            Check("confirmed reservations kept (CP)", not self.lost_reservations,
                  f"{self.holding} confirmed orders, {len(self.lost_reservations)} without their reservation"
                  f"{_e_g(self.lost_reservations)}"),
            Check("acknowledged cart lines kept (AP)", not self.carts_found_empty,
                  f"{self.carts_acknowledged} lines answered 200, {len(self.carts_found_empty)} carts found empty "
                  f"at checkout (409){_e_g(self.carts_found_empty)}; shown, not judged: the cart is AP",
                  judged=False),
        ]


def compare(ledger: Ledger, snap: Snapshot, reservation_of: Callable[[str], str | None]) -> Comparison:
    """The ledger against a snapshot of the system and inventory's reservations (`reservation_of(order_id)`)."""
    status = {order["order_id"]: order["status"] for order in snap.orders}
    accepted = sorted(set(ledger.accepted.values()))
    lost_orders = [oid for oid in accepted if oid not in status]
    lost_confirmations = sorted(oid for oid in ledger.confirmed if status.get(oid) not in ("CONFIRMED", "CANCELLED"))
    holding = sorted({oid for oid in accepted if status.get(oid) in KEEPS_RESERVATION} | ledger.confirmed)
    with ThreadPoolExecutor(max_workers=8) as pool:
        reservations = dict(zip(holding, pool.map(reservation_of, holding)))
    lost_reservations = [oid for oid in holding
                         if reservations[oid] not in KEEPS_RESERVATION.get(status.get(oid, ""), {"RESERVED"})]
    return Comparison(len(accepted), lost_orders, len(ledger.confirmed), lost_confirmations, len(holding),
                      lost_reservations, ledger.carts_acknowledged, list(ledger.carts_found_empty))
