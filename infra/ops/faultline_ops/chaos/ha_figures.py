"""The ledger of a run's acknowledged writes, from its timeline (what the customers were told). Pure."""
from __future__ import annotations

from ..ledger import Ledger
from .timeline import Timeline

CONFLICT = "409"     # cart's answer to a checkout of an empty cart


def ledger_of(timeline: Timeline, accepted: dict[str, str], confirmed: set[str]) -> Ledger:
    """What the run's customers were told succeeded: orders accepted, orders seen confirmed, cart lines answered
    200 (a flow that reached checkout), and the carts a checkout then found empty."""
    reached_checkout = [f for f in timeline.flows if f.attempts >= 1]
    return Ledger(dict(accepted), set(confirmed), len(reached_checkout),
                  sorted(f.key for f in reached_checkout if f.last_status == CONFLICT))
