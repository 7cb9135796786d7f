"""`faultline verify`: read the running system through its APIs and judge its invariants.

Checks, once the system is quiet (no PENDING order, every outcome mailed, or the wait runs out):
- every accepted order is terminal (CONFIRMED, REJECTED or CANCELLED);
- no idempotency key has two orders;
- for every SKU, total = available + units held by CONFIRMED orders (stock is conserved);
- exactly one email record per outcome event (Mailpit's copies are counted and shown, not judged);
- dead-letter topics are counted (reported, not judged: tests put poison there on purpose);
- with --orders FILE (a run's own order ids): only those orders must be terminal and mailed, and for each of them
  inventory's reservation must match its outcome (stock conserved per order). Other traffic may go on meanwhile: the
  per-SKU totals are then judged only if no order is pending anywhere and the stock did not move while it was read.
- with --ledger FILE (a chaos run's ledger.json): every write clients were told succeeded is still held (orders
  accepted, confirmations seen, reservations of confirmed orders; cart lines shown).
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from faultline_ops import settings as settings_module

EXPECTED_MAILS = {
    "CONFIRMED": {"OrderConfirmed"},
    "REJECTED": {"OrderRejected"},
    "CANCELLED": {"OrderConfirmed", "OrderCancelled"},
    "PENDING": set(),
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    judged: bool = True

    @property
    def verdict(self) -> str:
        if not self.judged:
            return "INFO"
        return "PASS" if self.ok else "FAIL"


@dataclass(frozen=True)
class Snapshot:
    orders: list[dict[str, Any]]
    products: list[dict[str, Any]]
    emails: list[dict[str, Any]]
    products_after: list[dict[str, Any]] | None = None   # read again after the rest: did stock move meanwhile?

    def stock_moved(self) -> bool:
        return self.products_after is not None and self.products_after != self.products


@dataclass(frozen=True)
class Scope:
    """The orders a verdict judges: every order (`EVERYTHING`, for a system that is quiet), or one run's own
    (`Scope.of(ids)`), judged while other traffic may still be placing orders and moving stock."""

    order_ids: frozenset[str] | None = None

    @classmethod
    def of(cls, order_ids) -> "Scope":
        return cls(frozenset(order_ids))

    @property
    def whole(self) -> bool:
        return self.order_ids is None

    def covers(self, order_id: str) -> bool:
        return self.order_ids is None or order_id in self.order_ids

    def orders(self, snap: Snapshot) -> list[dict[str, Any]]:
        return [order for order in snap.orders if self.covers(order["order_id"])]

    def emails(self, snap: Snapshot) -> list[dict[str, Any]]:
        return [mail for mail in snap.emails if self.covers(mail["order_id"])]


EVERYTHING = Scope()


def _pages(url: str, items: str, timeout_s: float) -> Iterator[dict[str, Any]]:
    offset: int | None = 0
    while offset is not None:
        response = requests.get(url, params={"offset": offset, "limit": 1000}, timeout=timeout_s)
        response.raise_for_status()
        body = response.json()
        yield from body[items]
        offset = body.get("next_offset")


def snapshot(order_url: str, inventory_url: str, email_url: str, timeout_s: float = 10.0) -> Snapshot:
    def products() -> list[dict[str, Any]]:
        return requests.get(f"{inventory_url}/products", timeout=timeout_s).json()["products"]

    before = products()
    orders = list(_pages(f"{order_url}/orders", "orders", timeout_s))
    emails = list(_pages(f"{email_url}/emails", "emails", timeout_s))
    return Snapshot(orders, before, emails, products())


def _missing_and_extra_mails(snap: Snapshot, scope: Scope = EVERYTHING) -> tuple[list[str], list[str]]:
    """Outcome mails that should exist and do not, and mails that exist twice or for no outcome."""
    status = {order["order_id"]: order["status"] for order in scope.orders(snap)}
    mailed = Counter((mail["order_id"], mail["event_type"]) for mail in scope.emails(snap))
    missing = [f"{order_id}:{event_type}" for order_id, st in status.items() for event_type in EXPECTED_MAILS[st]
               if mailed[(order_id, event_type)] == 0]
    extra = [f"{order_id}:{event_type} x{count}" for (order_id, event_type), count in mailed.items() if count > 1]
    extra += [f"{order_id}:{event_type} but the order is {status.get(order_id, 'unknown')}"
              for (order_id, event_type) in mailed
              if status.get(order_id) != "PENDING" and event_type not in EXPECTED_MAILS.get(status.get(order_id, ""),
                                                                                         set())]
    return missing, extra


def is_quiet(snap: Snapshot, scope: Scope = EVERYTHING) -> bool:
    pending = any(o["status"] == "PENDING" for o in scope.orders(snap))
    missing, _ = _missing_and_extra_mails(snap, scope)
    return not pending and not missing


def check_terminal(snap: Snapshot, scope: Scope = EVERYTHING) -> Check:
    orders = scope.orders(snap)
    counts = Counter(o["status"] for o in orders)
    detail = ", ".join(f"{status} {counts[status]}" for status in ("CONFIRMED", "REJECTED", "CANCELLED", "PENDING"))
    unknown = [] if scope.whole else sorted(scope.order_ids - {o["order_id"] for o in orders})
    detail = f"{len(orders)} orders{'' if scope.whole else ' of this run'}: {detail}"
    if unknown:
        detail += f"; {len(unknown)} unknown to order, e.g. {unknown[:3]}"
    return Check("every accepted order is terminal", counts["PENDING"] == 0 and not unknown, detail)


def check_idempotency(snap: Snapshot) -> Check:
    keys = Counter(o["idempotency_key"] for o in snap.orders)
    doubled = [key for key, n in keys.items() if n > 1]
    return Check("one order per idempotency key", not doubled,
                 f"{len(keys)} keys" + (f"; doubled: {doubled[:5]}" if doubled else ""))


def check_stock(snap: Snapshot, scope: Scope = EVERYTHING) -> Check:
    name = "stock conserved (total = available + held by confirmed)"
    if not scope.whole:
        pending = sum(1 for o in snap.orders if o["status"] == "PENDING")
        if pending or snap.stock_moved():
            return Check(name, True, f"not judged: other traffic is in flight ({pending} orders pending, stock "
                                     f"{'moved' if snap.stock_moved() else 'still'} while it was read); this run's "
                                     f"orders are judged one by one against inventory's reservations", judged=False)
    held: Counter[str] = Counter()
    for order in snap.orders:
        if order["status"] == "CONFIRMED":
            for line in order["lines"]:
                held[line["sku"]] += line["quantity"]
    broken = [
        f"{p['sku']}: total {p['total']} != available {p['available']} + held {held[p['sku']]}"
        for p in snap.products if p["total"] != p["available"] + held[p["sku"]]
    ]
    known = {p["sku"] for p in snap.products}
    broken += [f"{sku}: confirmed orders hold an unknown SKU" for sku in held if sku not in known]
    return Check(name, not broken,
                 f"{len(snap.products)} SKUs, {sum(held.values())} units held" +
                 (f"; {broken[:3]}" if broken else ""))


HOLDS_AFTER = {"CONFIRMED": {"RESERVED"}, "CANCELLED": {"RELEASED"}, "REJECTED": {"REJECTED", None}}


def check_reservations(snap: Snapshot, scope: Scope, reservation_of: Callable[[str], str | None]) -> Check:
    """Stock conserved order by order: inventory holds stock for exactly the orders that kept it (confirmed), has
    released it for cancelled ones and holds none for rejected ones. Exact while other orders go on."""
    terminal = [o for o in scope.orders(snap) if o["status"] in HOLDS_AFTER]
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = dict(zip((o["order_id"] for o in terminal), pool.map(reservation_of, (o["order_id"] for o in terminal))))
    wrong = [f"{o['order_id']} {o['status']} but its reservation is {found[o['order_id']]}" for o in terminal
             if found[o["order_id"]] not in HOLDS_AFTER[o["status"]]]
    return Check("stock conserved per order (inventory's reservation matches the outcome)", not wrong,
                 f"{len(terminal)} terminal orders" + (f"; {len(wrong)} wrong, e.g. {wrong[:3]}" if wrong else ""))


@retry(retry=retry_if_exception_type(requests.RequestException), stop=stop_after_attempt(4),
       wait=wait_exponential(multiplier=0.5, max=4), reraise=True)
def reservation_status(inventory_url: str, order_id: str) -> str | None:
    """The status of an order's reservation in inventory (RESERVED, REJECTED, RELEASED), None when it has none.
    A slow or refused answer is asked again (a busy machine, a replica restarting), then raised."""
    response = requests.get(f"{inventory_url}/reservations/{order_id}", timeout=10)
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json().get("status")


def check_emails(snap: Snapshot, scope: Scope = EVERYTHING) -> Check:
    missing, extra = _missing_and_extra_mails(snap, scope)
    detail = f"{len(scope.emails(snap))} mails recorded"
    if missing:
        detail += f"; missing {len(missing)} e.g. {missing[:3]}"
    if extra:
        detail += f"; extra {len(extra)} e.g. {extra[:3]}"
    return Check("exactly one email per outcome event", not missing and not extra, detail)


def check_mailpit(mailpit_url: str, timeout_s: float = 10.0) -> Check:
    try:
        ids: Counter[str] = Counter()
        start = 0
        while True:
            body = requests.get(f"{mailpit_url}/api/v1/messages", params={"start": start, "limit": 1000},
                                timeout=timeout_s).json()
            batch = body.get("messages") or []
            ids.update(m["MessageID"] for m in batch)
            start += len(batch)
            if not batch or start >= body.get("messages_count", body.get("total", 0)):
                break
    except requests.RequestException as exc:
        return Check("mails delivered to Mailpit", False, f"Mailpit unreachable: {exc}", judged=False)
    twice = [mid for mid, n in ids.items() if n > 1]
    # Reported, not judged: SMTP delivery is at-least-once. A crash between the server's acceptance and email's
    # record of it resends that mail; it carries the same Message-ID (the event id), so a receiver drops it.
    return Check("mails delivered to Mailpit", True,
                 f"{sum(ids.values())} messages" + (f"; {len(twice)} Message-ID(s) delivered twice (at-least-once "
                                                    f"SMTP), e.g. {twice[:2]}" if twice else ", none twice"),
                 judged=False)


def dead_letter_depths(bootstrap: str) -> dict[str, int]:
    from kafka import KafkaConsumer

    from faultline_ops.observe import topic_depths

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="faultline-verify", request_timeout_ms=10000)
    try:
        return topic_depths(consumer, (".dlq",))
    finally:
        consumer.close()


def check_dead_letters(bootstrap: str) -> Check:
    try:
        depths = dead_letter_depths(bootstrap)
    except Exception as exc:  # noqa: BLE001 - reported, never fatal
        return Check("dead-letter topics", False, f"Kafka unreachable: {exc!r}", judged=False)
    return Check("dead-letter topics", True, ", ".join(f"{t} {n}" for t, n in depths.items()) or "none",
                 judged=False)


def settle(read: Callable[[], Snapshot], wait_s: float, poll_s: float = 0.5,
           scope: Scope = EVERYTHING) -> tuple[Snapshot, float]:
    """Read until the scope is quiet or `wait_s` passes; return the last snapshot and the seconds waited."""
    started = time.monotonic()
    snap = read()
    while not is_quiet(snap, scope) and time.monotonic() - started < wait_s:
        time.sleep(poll_s)
        snap = read()
    return snap, time.monotonic() - started


def reservations_at(inventory_url: str) -> Callable[[str], str | None]:
    """One verdict's reservation lookups: each order asked once, shared by the per-order stock check and the
    ledger."""
    return functools.lru_cache(maxsize=None)(functools.partial(reservation_status, inventory_url))


def judge(snap: Snapshot, scope: Scope, reservation_of: Callable[[str], str | None]) -> list[Check]:
    """The invariants of one snapshot, for the orders in scope (idempotency is judged over every order)."""
    checks = [check_terminal(snap, scope), check_idempotency(snap), check_stock(snap, scope)]
    if not scope.whole:
        checks.append(check_reservations(snap, scope, reservation_of))
    return checks + [check_emails(snap, scope)]


def read_scope(path: str | None) -> Scope:
    """--orders FILE: a JSON list of order ids, or one id per line."""
    if not path:
        return EVERYTHING
    from pathlib import Path

    text = Path(path).read_text()
    ids = json.loads(text) if text.lstrip().startswith("[") else text.split()
    return Scope.of(str(order_id) for order_id in ids)


def run(order_url: str, inventory_url: str, email_url: str, mailpit_url: str, bootstrap: str,
        wait_s: float, ledger_path: str | None = None, scope: Scope = EVERYTHING) -> tuple[list[Check], float]:
    snap, waited = settle(lambda: snapshot(order_url, inventory_url, email_url), wait_s, scope=scope)
    reservation_of = reservations_at(inventory_url)
    checks = judge(snap, scope, reservation_of) + [check_mailpit(mailpit_url), check_dead_letters(bootstrap)]
    if ledger_path:
        from pathlib import Path

        from faultline_ops import ledger

        comparison = ledger.compare(ledger.Ledger.read(Path(ledger_path)), snap, reservation_of)
        checks += comparison.checks()
    return checks, waited


def render_table(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{'CHECK'.ljust(width)}  VERDICT  DETAIL"]
    lines += [f"{c.name.ljust(width)}  {c.verdict.ljust(7)}  {c.detail}" for c in checks]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faultline verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wait", type=float, default=60.0,
                        help="seconds to wait for the system to become quiet before judging (default 60)")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument("--ledger", metavar="FILE", default=None,
                        help="also check the acknowledged writes of a chaos run (reports/chaos/<run>/ledger.json)")
    parser.add_argument("--orders", metavar="FILE", default=None,
                        help="judge only these orders (a JSON list of order ids, or one per line) while other "
                             "traffic goes on")
    args = parser.parse_args(argv)
    stack = settings_module.from_env()
    try:
        scope = read_scope(args.orders)
    except (OSError, ValueError) as exc:
        print(f"faultline verify: cannot read --orders {args.orders}: {exc}", file=sys.stderr)
        return 2
    try:
        checks, waited = run(stack.service_url("order"), stack.service_url("inventory"), stack.service_url("email"),
                             stack.mailpit_url, stack.kafka_bootstrap, args.wait, args.ledger, scope)
    except requests.RequestException as exc:
        print(f"faultline verify: the services did not answer ({exc}); is the stack up? (make up)", file=sys.stderr)
        return 2
    failed = [c for c in checks if c.judged and not c.ok]
    if args.json:
        print(json.dumps({"ok": not failed, "waited_s": round(waited, 1),
                          "checks": [{**asdict(c), "verdict": c.verdict} for c in checks]}, indent=2))
    else:
        print(render_table(checks))
        print(f"\n{'OK' if not failed else 'VIOLATED'}: {len(checks) - len(failed)} of {len(checks)} checks hold"
              f" (waited {waited:.1f}s for quiet)")
    return 1 if failed else 0
