"""The console's HTTP surface with fakes: the page renders the board, buttons need the admin token, bad input is a
4xx problem, and a fault applied through the backend shows on the board with its lift button."""
from __future__ import annotations

import json

import pytest

from console_service.app import ConsoleDeps, create_app, replica_choices
from console_service.adapters.fault_desk import FaultDesk
from console_service.board import LiveBoard
from console_service.config import ConsoleSettings
from console_service.model import Endpoint
from faultline_ops.chaos.backends import ActiveFault
from faultline_ops.errors import StackError

from .fakes import board, member, observation, seen

TOKEN = "unit-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FakeBackend:
    name = "local"

    def __init__(self) -> None:
        self.applied, self.lifted = [], []

    def apply(self, step):
        if step.target.program == "redis":
            raise StackError("cannot stop redis: it is STOPPED")
        self.applied.append(step)
        return ActiveFault(f"did {step.name}", lambda: self.lifted.append(step), lambda: True)


@pytest.fixture
def console():
    backend = FakeBackend()
    desk = FaultDesk(backend)
    obs = observation([seen("inventory-1", board_body=board({"redis": "closed"})), seen("cart-1",
                       board_body=board({"inventory": "open", "order": "closed"}))],
                      members=[member("inventory-1", "suspect", 4.0), member("cart-1")])
    settings = ConsoleSettings("local", TOKEN, "kafka:9092", "", None, 0.5)
    holder = {}

    def render(view):
        return holder["render"](view)

    live = LiveBoard(lambda: obs, desk.entries, render, 0.5)
    deps = ConsoleDeps(live, desk, [], lambda: [("inventory-1", "inventory", 1)], "local")
    app = create_app(settings, deps)
    from console_service.entrypoints.web import fragment_renderer
    holder["render"] = fragment_renderer(app)
    live.refresh()
    return app.test_client(), backend, live


def test_the_page_shows_each_instance_with_its_membership_and_breakers(console):
    client, _, _ = console
    html = client.get("/").get_data(as_text=True)
    assert 'data-instance="inventory-1" data-member="suspect"' in html
    assert 'data-breaker="inventory" data-state="open"' in html
    assert 'data-edge="cart-inventory" data-kind="rest" data-state="open"' in html
    assert 'value="inventory:1">inventory-1</option>' in html
    assert "vendor/uplot-1.6.32/uPlot.iife.min.js" in html


def test_the_vendored_chart_library_and_its_licence_are_served(console):
    client, _, _ = console
    assert client.get("/static/vendor/uplot-1.6.32/uPlot.iife.min.js").status_code == 200
    assert client.get("/static/console.js").status_code == 200


def test_state_is_json_with_the_instances_and_edges(console):
    client, _, _ = console
    body = client.get("/api/state").get_json()
    assert {r["name"] for r in body["instances"]} == {"inventory-1", "cart-1"}
    assert body["edges"]["cart-inventory"] == "open"


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": "Bearer wrong"}, 401),
                                             ({"Authorization": "Basic abc"}, 401)])
def test_a_button_without_the_admin_token_is_refused(console, headers, status):
    client, backend, _ = console
    response = client.post("/api/faults", json={"kind": "stop", "program": "kafka"}, headers=headers)
    assert response.status_code == status
    assert response.get_json()["status"] == status and backend.applied == []


@pytest.mark.parametrize("body, status", [("not json", 415), ({"kind": "kill", "service": "inventory"}, 422),
                                          ({"kind": "partition", "route": "x"}, 422), ([], 400)])
def test_bad_input_is_a_problem_naming_what_is_wrong(console, body, status):
    client, _, _ = console
    if isinstance(body, str):
        response = client.post("/api/faults", data=body, headers=AUTH)
    else:
        response = client.post("/api/faults", data=json.dumps(body), headers={**AUTH,
                               "Content-Type": "application/json"})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_a_fault_is_applied_shown_on_the_board_and_lifted(console):
    client, backend, live = console
    response = client.post("/api/faults", json={"kind": "kill", "service": "inventory", "replica": 1}, headers=AUTH)
    assert response.status_code == 201, response.get_data(as_text=True)
    entry = response.get_json()
    assert entry["lift_verb"] == "restart" and backend.applied[0].params == {"signal": "KILL"}
    live.refresh()
    assert f'data-fault-id="{entry["id"]}">restart</button>' in live.fragments["faults"]
    assert client.delete(f"/api/faults/{entry['id']}", headers=AUTH).status_code == 202
    assert client.delete("/api/faults/999", headers=AUTH).status_code == 404


def test_a_fault_the_backend_refuses_is_a_409_problem(console):
    client, _, _ = console
    response = client.post("/api/faults", json={"kind": "stop", "program": "redis"}, headers=AUTH)
    assert response.status_code == 409 and "STOPPED" in response.get_json()["detail"]


def test_the_page_polls_for_rounds_newer_than_the_one_it_has(console):
    client, _, live = console
    first = client.get("/api/view").get_json()
    assert 'data-member="suspect"' in first["html"]["instances"] and "<svg" in first["html"]["topology"]
    live.refresh()
    newer = client.get(f"/api/view?after={first['version']}").get_json()
    assert newer["version"] == first["version"] + 1
    assert client.get("/api/view?after=abc").status_code == 400


def test_kubernetes_pods_are_offered_by_their_index_among_the_services_running_pods():
    pods = [Endpoint("faultline-cart-7d-b", "cart", "u"), Endpoint("faultline-cart-7d-a", "cart", "u"),
            Endpoint("faultline-order-5-x", "order", "u")]
    assert replica_choices(pods) == [("faultline-cart-7d-a", "cart", 1), ("faultline-cart-7d-b", "cart", 2),
                                     ("faultline-order-5-x", "order", 1)]
