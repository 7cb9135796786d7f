"""The system as a picture: services, Kafka topics, Redis and Mailpit, and the calls between them, each edge
coloured by the state of the circuit breaker guarding it. Pure: rows in, SVG text out (server-rendered)."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Iterable

from .model import BREAKER_SEVERITY, GroupRow, InstanceRow

SERVICES = ("cart", "order", "inventory", "email")
# The topics the picture draws, as the services declare them in their channels (a unit test holds them equal).
ORDERS_TOPIC = "orders"
INVENTORY_TOPIC = "inventory"


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str          # service | topic | store
    x: int
    y: int


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str                  # rest | produce | consume | redis | smtp
    breaker: str | None = None  # the breaker on the source's instances that guards this call
    group: str | None = None    # consume edges: the consumer group (paused shows on the edge)

    @property
    def id(self) -> str:
        return f"{self.source}-{self.target}"


NODES = (
    Node("cart", "cart", "service", 90, 150),
    Node("inventory", "inventory", "service", 300, 55),
    Node("order", "order", "service", 300, 245),
    Node(f"topic:{ORDERS_TOPIC}", f"topic {ORDERS_TOPIC}", "topic", 520, 245),
    Node(f"topic:{INVENTORY_TOPIC}", f"topic {INVENTORY_TOPIC}", "topic", 520, 55),
    Node("email", "email", "service", 720, 245),
    Node("redis", "Redis", "store", 520, 345),
    Node("mailpit", "Mailpit (SMTP)", "store", 720, 345),
)

EDGES = (
    Edge("cart", "inventory", "rest", breaker="inventory"),
    Edge("cart", "order", "rest", breaker="order"),
    Edge("order", f"topic:{ORDERS_TOPIC}", "produce"),
    Edge(f"topic:{ORDERS_TOPIC}", "inventory", "consume", group="inventory"),
    Edge(f"topic:{ORDERS_TOPIC}", "email", "consume", group="email"),
    Edge("inventory", f"topic:{INVENTORY_TOPIC}", "produce"),
    Edge(f"topic:{INVENTORY_TOPIC}", "order", "consume", group="order"),
    *(Edge(service, "redis", "redis", breaker="redis") for service in SERVICES),
    Edge("email", "mailpit", "smtp", breaker="smtp"),
)

COLOURS = {"closed": "#2e7d32", "half-open": "#f9a825", "open": "#c62828", "paused": "#f9a825",
           "down": "#c62828", "ok": "#2e7d32", "unknown": "#9e9e9e", "unguarded": "#607d8b"}
NODE_FILL = {"service": "#e3f2fd", "topic": "#fff8e1", "store": "#f3e5f5"}


def worst_breaker(states: Iterable[str]) -> str | None:
    known = [s for s in states if s in BREAKER_SEVERITY]
    return max(known, key=BREAKER_SEVERITY.__getitem__) if known else None


def edge_states(rows: list[InstanceRow], groups: list[GroupRow], dependencies: dict[str, bool | None]) -> dict[str, str]:
    """Edge id -> state. A guarded call shows its worst breaker among the caller's instances that report it
    (open on one replica is open on the picture); Kafka edges show `down` while Kafka is unreachable and a
    consume edge `paused` while its group holds partitions paused; an unguarded call is `unguarded`."""
    paused = {g.group for g in groups if g.paused_partitions}
    states = {}
    for edge in EDGES:
        if edge.breaker:
            worst = worst_breaker(r.breakers.get(edge.breaker, "") for r in rows if r.service == edge.source)
            if edge.kind == "redis" and worst is None:
                state = "down" if dependencies.get("redis") is False else "unguarded"
            else:
                state = worst or "unknown"
        elif dependencies.get("kafka") is False:
            state = "down"
        elif edge.group and edge.group in paused:
            state = "paused"
        else:
            state = "ok"
        states[edge.id] = state
    return states


def node_states(rows: list[InstanceRow], dependencies: dict[str, bool | None]) -> dict[str, str]:
    """Node id -> a short caption: `2/2 ready` for services, up/down for Kafka topics and Redis."""
    captions = {}
    for service in SERVICES:
        mine = [r for r in rows if r.service == service and r.expected]
        ready = sum(1 for r in mine if r.ready)
        captions[service] = f"{ready}/{len(mine)} ready"
    kafka = {True: "up", False: "down", None: "?"}[dependencies.get("kafka")]
    for node in NODES:
        if node.kind == "topic":
            captions[node.id] = f"Kafka {kafka}"
    captions["redis"] = {True: "up", False: "down", None: "?"}[dependencies.get("redis")]
    captions["mailpit"] = ""
    return captions


BOX_W, BOX_H = 130, 46


def _anchor(a: Node, b: Node) -> tuple[float, float, float, float]:
    """Start and end points on the boxes' borders, so arrows do not hide under the boxes."""
    dx, dy = b.x - a.x, b.y - a.y
    scale_a = min((BOX_W / 2) / abs(dx) if dx else float("inf"), (BOX_H / 2) / abs(dy) if dy else float("inf"))
    return (a.x + dx * scale_a, a.y + dy * scale_a, b.x - dx * scale_a, b.y - dy * scale_a)


def render_svg(states: dict[str, str], captions: dict[str, str]) -> str:
    nodes = {n.id: n for n in NODES}
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 820 390" role="img" '
             'aria-label="topology: services, Kafka topics, Redis and the calls between them" id="topology-svg">',
             '<defs>' + "".join(
                 f'<marker id="arrow-{state}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                 f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
                 for state, colour in COLOURS.items()) + '</defs>']
    for edge in EDGES:
        state = states.get(edge.id, "unknown")
        x1, y1, x2, y2 = _anchor(nodes[edge.source], nodes[edge.target])
        dash = ' stroke-dasharray="6 4"' if edge.kind in ("produce", "consume") else ""
        width = 4 if state in ("open", "down") else 2.5
        label = f"{edge.source} → {edge.target} ({edge.kind}" + (f", breaker {edge.breaker}" if edge.breaker else "") \
            + f"): {state}"
        parts.append(f'<g class="edge" data-edge="{escape(edge.id)}" data-kind="{edge.kind}" data-state="{state}">'
                     f'<title>{escape(label)}</title>'
                     f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{COLOURS[state]}" '
                     f'stroke-width="{width}"{dash} marker-end="url(#arrow-{state})"/>')
        if edge.kind == "rest" or state in ("open", "half-open", "down", "paused"):
            parts.append(f'<text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 6:.0f}" font-size="11" '
                         f'text-anchor="middle" fill="{COLOURS[state]}">{escape(state)}</text>')
        parts.append('</g>')
    for node in NODES:
        caption = captions.get(node.id, "")
        parts.append(
            f'<g class="node" data-node="{escape(node.id)}">'
            f'<rect x="{node.x - BOX_W / 2:.0f}" y="{node.y - BOX_H / 2:.0f}" width="{BOX_W}" height="{BOX_H}" rx="8" '
            f'fill="{NODE_FILL[node.kind]}" stroke="#455a64"/>'
            f'<text x="{node.x}" y="{node.y - 3}" font-size="14" font-weight="600" text-anchor="middle">'
            f'{escape(node.label)}</text>'
            f'<text x="{node.x}" y="{node.y + 14}" font-size="11" text-anchor="middle" fill="#455a64">'
            f'{escape(caption)}</text></g>')
    parts.append('</svg>')
    return "".join(parts)
