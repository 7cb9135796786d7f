"""The metrics every instance exports, read from its status board when scraped (nothing on the hot path).

RED per route comes from the Flask instrumentation (http.server.request.duration); saga duration is recorded by
order when an order reaches a terminal state.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from .membership import MembershipView
from .resilience import StatusBoard

BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}


def _observe(read: Callable[[], Iterable[tuple[float, dict[str, Any]]]]):
    def callback(options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(value, attributes) for value, attributes in read()]

    return callback


def _clients(board: StatusBoard) -> dict[str, dict[str, Any]]:
    snapshot = board.snapshot()
    return {name.split(":", 1)[1]: value for name, value in snapshot.items() if name.startswith("client:")}


def _consumers(board: StatusBoard) -> dict[str, dict[str, Any]]:
    return board.read("consumers") or {}


def register_board_metrics(meter: Meter, board: StatusBoard, membership: MembershipView) -> None:
    meter.create_observable_gauge(
        "faultline.breaker.state", description="0 closed, 1 half-open, 2 open", callbacks=[_observe(lambda: (
            (BREAKER_STATES.get(state, -1), {"breaker": name}) for name, state in board.breaker_states().items()))])
    for field, name, description in (("requests", "faultline.http.client.requests", "outbound requests"),
                                     ("retries", "faultline.http.client.retries", "retries spent"),
                                     ("refused", "faultline.http.client.retry_budget.refused",
                                      "retries the budget refused")):
        meter.create_observable_counter(name, description=description, callbacks=[_observe(
            lambda field=field: ((c["retry_budget"][field], {"downstream": d}) for d, c in _clients(board).items()))])
    meter.create_observable_gauge("faultline.consumer.lag", description="records behind the end of a partition",
                                  callbacks=[_observe(lambda: (
                                      (lag, {"group": group, "partition": partition})
                                      for group, stats in _consumers(board).items()
                                      for partition, lag in stats.get("lag", {}).items()))])
    for field, name in (("processed", "faultline.consumer.processed"),
                        ("dead_lettered", "faultline.consumer.dead_lettered"),
                        ("retried_via_topic", "faultline.consumer.retried"),
                        ("fenced", "faultline.consumer.fenced")):
        meter.create_observable_counter(name, callbacks=[_observe(lambda field=field: (
            (stats.get(field, 0), {"group": group}) for group, stats in _consumers(board).items()))])
    meter.create_observable_gauge("faultline.consumer.paused", description="1 while paused for a dependency",
                                  callbacks=[_observe(lambda: ((int(stats.get("paused", False)), {"group": group})
                                                               for group, stats in _consumers(board).items()))])
    meter.create_observable_gauge("faultline.outbox.backlog", description="entries not yet published",
                                  callbacks=[_observe(lambda: (
                                      [(board.read("outbox")["backlog"], {})] if board.read("outbox") else []))])
    meter.create_observable_gauge("faultline.membership.members", description="members by detector verdict",
                                  callbacks=[_observe(lambda: _members_by_status(membership))])


def _members_by_status(membership: MembershipView) -> list[tuple[float, dict[str, Any]]]:
    counts = {"alive": 0, "suspect": 0, "dead": 0, "left": 0}
    for member in membership.members():
        counts[member["status"]] = counts.get(member["status"], 0) + 1
    return [(count, {"status": status}) for status, count in counts.items()]
