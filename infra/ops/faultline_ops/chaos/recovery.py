"""How soon the system is whole again after a fault, from the timeline: pure queries beside hypothesis.recovery.

- *first success*: seconds from the last fault being lifted to the first checkout answered 202 after it (what a
  customer sees first);
- *backlog drained*: seconds from the last fault being lifted until no order accepted during the fault (or in
  flight when it hit) is still PENDING, as the pending sampler saw it (to its tick, about a second). 0 when every
  such order was already terminal by then.
"""
from __future__ import annotations

from .timeline import Flow, Timeline, Window


def _answered(flow: Flow) -> float:
    return flow.end if flow.end is not None else flow.t


def settled_at(timeline: Timeline) -> dict[str, float]:
    """Order id -> when the sampler first saw it terminal."""
    first: dict[str, float] = {}
    for sample in timeline.settled:
        first.setdefault(sample.order_id, sample.t)
    return first


def backlog(timeline: Timeline, fault: Window) -> list[str]:
    """Orders accepted before the fault was lifted that were not terminal yet when it was applied."""
    settled = settled_at(timeline)
    return [f.order_id for f in timeline.flows
            if f.ok and f.order_id and _answered(f) < fault.end and settled.get(f.order_id, fault.start) >= fault.start]


def backlog_drained_s(timeline: Timeline, fault: Window) -> float | None:
    """Seconds after `fault.end` until the last order of the fault's backlog was seen terminal; None if one never
    was within the run."""
    orders = backlog(timeline, fault)
    settled = settled_at(timeline)
    if any(order_id not in settled for order_id in orders):
        return None
    last = max((settled[order_id] for order_id in orders), default=fault.end)
    return round(max(last - fault.end, 0.0), 1)


def first_success_s(timeline: Timeline, fault_end: float) -> float | None:
    """Seconds after `fault_end` until the first checkout answered 202; None if none was."""
    answers = [_answered(f) for f in timeline.flows if f.ok and _answered(f) >= fault_end]
    return round(min(answers) - fault_end, 1) if answers else None


def pending_max(timeline: Timeline) -> int | None:
    """The most orders of the run that were not terminal at one time."""
    return max((p.count for p in timeline.pending), default=None)
