"""`faultline status`'s HA section: Kafka's brokers, controller and partitions; Redis's primary and replicas.

Pure: views in (faultline_ops.ha), a renderable out."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from faultline_ops.ha import KafkaView, RedisView


def _ids(ids: tuple[int, ...]) -> str:
    return ",".join(map(str, ids)) or "-"


def kafka_renderable(view: KafkaView, topics: list[str]) -> Group:
    if view.error:
        return Group(Text(f"kafka: {view.error}", style="red"))
    controller = (f"node {view.controller} (epoch {view.controller_epoch})" if view.controller is not None
                  else "unknown")
    head = Text(f"kafka: brokers {_ids(view.brokers)}; KRaft voters {_ids(view.voters)}; active controller "
                f"{controller}; under-replicated partitions {len(view.under_replicated())}",
                style="yellow" if view.under_replicated() or view.controller is None else "")
    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR"):
        table.add_column(column, no_wrap=True)
    for p in view.partitions:
        if p.topic not in topics:
            continue
        short = len(p.isr) < len(p.replicas)
        table.add_row(p.topic, str(p.partition), Text(str(p.leader), style="red" if p.leader < 0 else ""),
                      _ids(p.replicas), Text(_ids(p.isr), style="yellow" if short else "green"))
    return Group(head, table)


def redis_renderable(view: RedisView) -> Group:
    if view.primary is None:
        return Group(Text(f"redis: {view.error}", style="red"))
    agree = f"{view.sentinels_agreeing} of {view.sentinels} Sentinels agree"
    head = Text(f"redis: primary {view.primary} ({agree})" + (f"; {view.error}" if view.error else ""),
                style="yellow" if view.error or view.sentinels_agreeing < view.sentinels else "")
    table = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("REPLICA", "STATE", "LAG (bytes)", "LAST ACK (s)"):
        table.add_column(column, no_wrap=True)
    for r in view.replicas:
        table.add_row(r.address, r.state, "-" if r.lag_bytes is None else str(r.lag_bytes),
                      "-" if r.lag_s is None else str(r.lag_s))
    return Group(head, table)
