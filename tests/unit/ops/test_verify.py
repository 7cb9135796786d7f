"""verify's judgement of one snapshot, for the whole system or for one run's own orders while others go on."""
from __future__ import annotations

from faultline_ops import verify
from faultline_ops.verify import EVERYTHING, Scope, Snapshot


def order(order_id: str, status: str, sku: str = "FL-001", quantity: int = 1) -> dict:
    return {"order_id": order_id, "status": status, "idempotency_key": f"key-{order_id}",
            "lines": [{"sku": sku, "quantity": quantity}]}


def mails_for(*orders: dict) -> list[dict]:
    return [{"order_id": o["order_id"], "event_type": event} for o in orders
            for event in sorted(verify.EXPECTED_MAILS[o["status"]])]


def product(total: int, available: int, sku: str = "FL-001") -> dict:
    return {"sku": sku, "total": total, "available": available}


MINE = [order("a", "CONFIRMED"), order("b", "REJECTED"), order("c", "CANCELLED")]
THEIRS_PENDING = order("z", "PENDING", quantity=2)


def busy_snapshot(stock_moved: bool = False) -> Snapshot:
    """This run's orders are done; someone else's order is still pending and holds 2 units not yet confirmed."""
    before = [product(10, 7)]
    return Snapshot(MINE + [THEIRS_PENDING], before, mails_for(*MINE), [product(10, 6)] if stock_moved else before)


def test_a_run_is_quiet_when_its_own_orders_are_done_even_if_others_are_pending():
    snap = busy_snapshot()
    assert verify.is_quiet(snap, Scope.of(["a", "b", "c"]))
    assert not verify.is_quiet(snap, EVERYTHING)


def test_the_whole_system_with_an_order_pending_is_not_terminal_but_the_run_is():
    snap = busy_snapshot()
    assert not verify.check_terminal(snap).ok
    mine = verify.check_terminal(snap, Scope.of(["a", "b", "c"]))
    assert mine.ok and "3 orders of this run" in mine.detail


def test_an_order_of_the_run_that_order_does_not_know_fails_the_terminal_check():
    check = verify.check_terminal(busy_snapshot(), Scope.of(["a", "b", "c", "lost"]))
    assert not check.ok and "1 unknown to order" in check.detail


def test_per_sku_totals_are_not_judged_while_other_traffic_is_in_flight():
    check = verify.check_stock(busy_snapshot(), Scope.of(["a", "b", "c"]))
    assert not check.judged and "1 orders pending" in check.detail
    # ...and the unscoped check still judges, and fails, what a non-atomic read of a busy system shows
    assert verify.check_stock(busy_snapshot()).judged and not verify.check_stock(busy_snapshot()).ok


def test_per_sku_totals_are_judged_for_a_run_when_nothing_moves():
    snap = Snapshot(MINE, [product(10, 9)], mails_for(*MINE), [product(10, 9)])
    check = verify.check_stock(snap, Scope.of(["a", "b", "c"]))
    assert check.judged and check.ok


def test_stock_that_moved_during_the_read_is_not_judged_for_a_run():
    snap = Snapshot(MINE, [product(10, 9)], mails_for(*MINE), [product(10, 8)])
    assert not verify.check_stock(snap, Scope.of(["a"])).judged


def test_reservations_must_match_each_outcome():
    held = {"a": "RESERVED", "b": None, "c": "RELEASED"}
    assert verify.check_reservations(busy_snapshot(), Scope.of(held), held.get).ok
    leaked = {"a": "RESERVED", "b": "RESERVED", "c": "RESERVED"}
    check = verify.check_reservations(busy_snapshot(), Scope.of(leaked), leaked.get)
    assert not check.ok and "2 wrong" in check.detail and "b REJECTED but its reservation is RESERVED" in check.detail


def test_mails_of_other_orders_are_not_this_runs_business():
    snap = Snapshot(MINE + [order("y", "CONFIRMED")], [], mails_for(*MINE))
    assert verify.check_emails(snap, Scope.of(["a", "b", "c"])).ok
    assert not verify.check_emails(snap).ok


def test_a_scope_is_read_from_a_json_list_or_one_id_per_line(tmp_path):
    listed, lines = tmp_path / "orders.json", tmp_path / "orders.txt"
    listed.write_text('["a", "b"]')
    lines.write_text("a\nb\n")
    assert verify.read_scope(str(listed)) == verify.read_scope(str(lines)) == Scope.of(["a", "b"])
    assert verify.read_scope(None) is EVERYTHING


def test_judging_a_run_adds_the_per_order_stock_check():
    reservation_of = {"a": "RESERVED", "c": "RELEASED"}.get
    names = [c.name for c in verify.judge(busy_snapshot(), Scope.of(["a", "b", "c"]), reservation_of)]
    assert "stock conserved per order (inventory's reservation matches the outcome)" in names
    assert all(c.ok for c in verify.judge(busy_snapshot(), Scope.of(["a", "b", "c"]), reservation_of))


def test_one_verdict_asks_inventory_once_per_order(monkeypatch):
    asked = []
    monkeypatch.setattr(verify, "reservation_status", lambda url, order_id: asked.append(order_id) or "RESERVED")
    reservation_of = verify.reservations_at("http://127.0.0.1:1")
    assert reservation_of("a") == reservation_of("a") == "RESERVED" and asked == ["a"]
