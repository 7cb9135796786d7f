"""Reading what the running system says about itself: the instances' `/debug/resilience` and `/cluster`, and
Kafka's topic depths. Shared by `faultline status` (a table) and the control room (a live page).

Nothing here fails because something is down: an instance that does not answer reads as None, a Kafka that does
not answer as no depths.
"""
from __future__ import annotations

from typing import Any, Iterable


def fetch_json(url: str, timeout: float = 1.0, session=None) -> dict | None:
    """GET url as JSON, or None when nothing useful answered."""
    import requests

    try:
        response = (session or requests).get(url, timeout=timeout)
        return response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None


def consumer_groups(board: dict | None) -> dict[str, dict[str, Any]]:
    """Consumer group -> that instance's consumer stats (lag per partition, paused, counters)."""
    return dict((board or {}).get("consumers") or {})


def breaker_states(board: dict | None) -> dict[str, str]:
    return {name: b.get("state", "?") for name, b in ((board or {}).get("breakers") or {}).items()}


def outbox_of(board: dict | None) -> dict[str, Any] | None:
    """Order's outbox on one replica: backlog, and the lease as that replica sees it (holder, its own token)."""
    outbox = (board or {}).get("outbox")
    return outbox if isinstance(outbox, dict) and "backlog" in outbox else None


def instance_report(board: dict | None) -> dict[str, Any]:
    """What one instance reports about itself, summed for a table row: breakers, consumer lag, paused, outbox."""
    if not board:
        return {}
    consumers = consumer_groups(board).values()
    report: dict[str, Any] = {
        "breakers": breaker_states(board),
        "consumer_lag": sum(int(c.get("total_lag", 0)) for c in consumers) if consumers else None,
        "paused": any(c.get("paused") for c in consumers)}
    outbox = outbox_of(board)
    if outbox:
        relays = (outbox.get("lease") or {}).get("this_instance_holds")
        report["outbox"] = f"{outbox['backlog']} queued" + (", relays" if relays else "")
    return report


def fullest_membership(views: Iterable[dict | None]) -> tuple[str | None, dict[str, dict]]:
    """The fullest membership view (/cluster bodies) among the instances': (whose view, instance id -> row).
    A replica that just restarted has heard from few members yet, so the first answer is not always the best."""
    best: tuple[str | None, dict[str, dict]] = (None, {})
    for view in views:
        members = {m["instance_id"]: m for m in (view or {}).get("members") or []}
        if len(members) > len(best[1]):
            best = ((view or {}).get("self"), members)
    return best


def topic_depths(consumer, suffixes: tuple[str, ...] = (".dlq",)) -> dict[str, int]:
    """Records held by every topic ending in one of `suffixes` (end offset - beginning offset, summed over
    partitions), read with an open KafkaConsumer."""
    from kafka.structs import TopicPartition

    depths = {}
    for topic in sorted(t for t in consumer.topics() if t.endswith(suffixes)):
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        depths[topic] = sum(ends[tp] - starts[tp] for tp in partitions)
    return depths
