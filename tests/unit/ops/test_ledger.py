"""The ledger of acknowledged writes against what the system holds, and the HA figures of a run. Pure."""
from faultline_ops.chaos.ha_figures import ledger_of
from faultline_ops.chaos.timeline import Flow, Timeline
from faultline_ops.ledger import Ledger, compare
from faultline_ops.verify import Snapshot


def snapshot(**statuses: str) -> Snapshot:
    return Snapshot([{"order_id": oid, "status": st, "idempotency_key": f"k-{oid}"} for oid, st in statuses.items()],
                    [], [])


def test_nothing_lost_when_the_system_holds_every_acknowledged_write():
    ledger = Ledger({"k1": "o1", "k2": "o2"}, {"o1"}, 2, [])
    result = compare(ledger, snapshot(o1="CONFIRMED", o2="REJECTED"), {"o1": "RESERVED"}.get)
    assert result.lost() == {"orders": 0, "confirmations": 0, "reservations": 0, "cart lines": 0}
    assert all(c.ok for c in result.checks())


def test_an_accepted_order_the_system_forgot_is_a_lost_order():
    result = compare(Ledger({"k1": "o1"}), snapshot(), lambda oid: None)
    assert result.lost_orders == ["o1"]
    assert not result.checks()[0].ok


def test_a_confirmed_order_without_its_reservation_is_a_lost_reservation():
    ledger = Ledger({"k1": "o1", "k2": "o2"}, {"o1", "o2"})
    result = compare(ledger, snapshot(o1="CONFIRMED", o2="CONFIRMED"), {"o1": "RESERVED"}.get)
    assert result.lost_reservations == ["o2"]
    reservations = next(c for c in result.checks() if "reservations" in c.name)
    assert reservations.judged and not reservations.ok


def test_a_confirmation_seen_and_later_gone_is_lost_and_a_cancelled_order_may_release():
    ledger = Ledger({"k1": "o1", "k2": "o2"}, {"o1", "o2"})
    result = compare(ledger, snapshot(o1="PENDING", o2="CANCELLED"), {"o1": "RESERVED", "o2": "RELEASED"}.get)
    assert result.lost_confirmations == ["o1"]
    assert result.lost_reservations == []


def test_carts_found_empty_are_shown_not_judged():
    result = compare(Ledger(carts_acknowledged=3, carts_found_empty=["c1"]), snapshot(), lambda oid: None)
    carts = next(c for c in result.checks() if "cart" in c.name)
    assert not carts.ok and not carts.judged


def test_a_ledger_survives_its_file():
    ledger = Ledger({"k": "o"}, {"o"}, 4, ["c"])
    assert Ledger.from_json(ledger.to_json()) == ledger


def test_the_ledger_of_a_run_counts_lines_acknowledged_and_carts_found_empty():
    timeline = Timeline(flows=[Flow(1, "a", True, "o1", 1, "202"), Flow(2, "b", False, None, 1, "409"),
                               Flow(3, "c", False, None, 0, "503")])
    ledger = ledger_of(timeline, {"a": "o1"}, {"o1"})
    assert ledger.carts_acknowledged == 2 and ledger.carts_found_empty == ["b"]
