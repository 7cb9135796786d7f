"""`faultline status` as one rich table: every program, and for service instances what they report about
themselves (breakers, consumer lag, outbox) and what the others think of them (membership from heartbeats).

Pure: rows in, a renderable out; stack.status gathers the rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from rich.text import Text

MEMBER_STYLES = {"alive": "green", "suspect": "yellow", "dead": "red", "left": "dim"}
BREAKER_STYLES = {"closed": "green", "half-open": "yellow", "open": "bold red"}


@dataclass(frozen=True)
class InstanceRow:
    name: str
    port: str
    pid: str
    state: str
    ready: bool
    member: str | None = None            # alive | suspect | dead | left, as the membership view judges it
    last_seen_s: float | None = None
    breakers: dict[str, str] = field(default_factory=dict)
    consumer_lag: int | None = None
    paused: bool = False
    outbox: str | None = None            # order only: backlog and whether this replica relays


def _member(row: InstanceRow) -> Text:
    if row.member is None:
        return Text("-", style="dim")
    seen = f" {row.last_seen_s:.1f}s" if row.last_seen_s is not None else ""
    return Text(f"{row.member}{seen}", style=MEMBER_STYLES.get(row.member, ""))


def _breakers(breakers: dict[str, str]) -> Text:
    if not breakers:
        return Text("-", style="dim")
    text = Text()
    for index, (name, state) in enumerate(sorted(breakers.items())):
        if index:
            text.append(" ")
        text.append(f"{name}:{state}", style=BREAKER_STYLES.get(state, ""))
    return text


def _lag(row: InstanceRow) -> Text:
    if row.consumer_lag is None:
        return Text("-", style="dim")
    return Text(f"{row.consumer_lag}" + (" paused" if row.paused else ""),
                style="yellow" if row.paused or row.consumer_lag > 100 else "")


def status_renderable(home: str, supervisord: str, rows: list[InstanceRow], membership_from: str | None,
                      dead_letters: dict[str, int] | None, others: list[InstanceRow] | None = None) -> Group:
    table = Table(title=f"state dir {home}: supervisord {supervisord}", title_justify="left", header_style="bold",
                  box=None, pad_edge=False)
    for column in ("NAME", "PORT", "PID", "STATE", "READY", "MEMBER", "BREAKERS", "LAG", "OUTBOX"):
        table.add_column(column, no_wrap=column != "BREAKERS", overflow="fold")
    for row in [*rows, *(others or [])]:
        table.add_row(row.name, row.port, row.pid,
                      Text(row.state, style="green" if row.state == "RUNNING" else "red"),
                      Text("yes" if row.ready else "no", style="green" if row.ready else "red"),
                      _member(row), _breakers(row.breakers), _lag(row), row.outbox or Text("-", style="dim"))
    notes = []
    if membership_from:
        notes.append(Text(f"MEMBER: heartbeats as seen by {membership_from} (alive < 3 s, suspect < 10 s, dead "
                          "after); LAG: records behind on the instance's consumer groups", style="dim"))
    if dead_letters is None:
        notes.append(Text("dead-letter topics: Kafka unreachable", style="yellow"))
    else:
        depths = ", ".join(f"{topic} {depth}" for topic, depth in sorted(dead_letters.items())) or "none"
        notes.append(Text(f"dead-letter topics: {depths}",
                          style="yellow" if any(dead_letters.values()) else ""))
    return Group(table, *notes)
