"""The topology picture: each edge coloured by the breaker guarding it, Kafka edges by Kafka and paused groups."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from console_service import model, topology

from .fakes import board, consumer, observation, readiness, seen


def states_for(instances) -> dict[str, str]:
    obs = observation(instances)
    return topology.edge_states(model.instance_rows(obs), model.group_rows(obs), model.dependency_health(obs))


def test_a_rest_edge_shows_the_worst_breaker_among_the_callers_replicas():
    states = states_for([seen("cart-1", board_body=board({"inventory": "closed", "order": "closed"})),
                         seen("cart-2", board_body=board({"inventory": "open", "order": "half-open"}))])
    assert states["cart-inventory"] == "open"
    assert states["cart-order"] == "half-open"


def test_a_guarded_edge_nobody_reports_is_unknown():
    assert states_for([seen("cart-1", ready=None)])["cart-inventory"] == "unknown"


def test_kafka_edges_turn_down_while_the_instances_cannot_reach_kafka_and_paused_with_their_group():
    down = readiness(kafka_down=True)
    states = states_for([seen("order-1", ready_body=down), seen("inventory-1", ready_body=down)])
    assert states["order-topic:orders"] == "down"
    paused = states_for([seen("inventory-1", board_body=board(consumers={"inventory": consumer({"orders-0": 1},
                                                                                                paused=True)}))])
    assert paused["topic:orders-inventory"] == "paused"
    assert paused["topic:orders-email"] == "ok"


def test_redis_edges_follow_the_redis_breaker_or_redis_reachability():
    states = states_for([seen("inventory-1", board_body=board({"redis": "open"})),
                         seen("cart-1", ready_body=readiness(redis=False), board_body=board())])
    assert states["inventory-redis"] == "open"
    assert states["cart-redis"] == "down"


def test_the_picture_is_valid_svg_with_one_element_per_edge_carrying_its_state():
    states = {edge.id: "closed" for edge in topology.EDGES} | {"cart-inventory": "open"}
    svg = topology.render_svg(states, {"cart": "2/2 ready"})
    root = ET.fromstring(svg)
    edges = {g.get("data-edge"): g.get("data-state") for g in root.iter("{http://www.w3.org/2000/svg}g")
             if g.get("data-edge")}
    assert edges == states
    assert "2/2 ready" in svg


def test_node_captions_count_the_ready_expected_replicas():
    obs = observation([seen("cart-1"), seen("cart-2", ready=False, ready_body=readiness(redis=False))])
    captions = topology.node_states(model.instance_rows(obs), model.dependency_health(obs))
    assert captions["cart"] == "1/2 ready"


def test_the_picture_draws_the_topics_and_groups_the_services_declare():
    from faultline_kit.topology import installed_channels

    channels = installed_channels()
    drawn = {(edge.source, edge.target, edge.group) for edge in topology.EDGES if edge.kind in ("produce", "consume")}
    declared = {(service, f"topic:{topic}", None) for service, c in channels.items() for topic in c.publishes}
    declared |= {(f"topic:{topic}", service, c.group) for service, c in channels.items() for topic in c.consumes}
    assert drawn == declared
