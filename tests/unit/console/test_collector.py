"""How often the collector asks each instance what, with a fake HTTP session (no network)."""
from __future__ import annotations

import json

import requests

from console_service.adapters.collector import Collector
from console_service.model import Endpoint


class FakeResponse:
    def __init__(self, status: int, body: str) -> None:
        self.status_code, self.text = status, body


class FakeSession:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.down = False

    def get(self, url: str, timeout: float):
        self.asked.append(url.rsplit("/", 1)[-1])
        if self.down:
            raise requests.ConnectionError("refused")
        if url.endswith("/readyz"):
            return FakeResponse(200, json.dumps({"status": "ready", "checks": {"redis": True}}))
        if url.endswith("/metrics"):
            return FakeResponse(200, "")
        return FakeResponse(200, json.dumps({"breakers": {}}))


class FakeMembership:
    def members(self):
        return []


def collector() -> tuple[Collector, FakeSession]:
    c = Collector(lambda: [Endpoint("cart-1", "cart", "http://fake")], FakeMembership(), None, None)
    c.http = FakeSession()
    return c, c.http


def test_the_board_is_read_every_round_readiness_every_second_and_metrics_every_fourth():
    c, http = collector()
    c.ready_every = 2
    rounds = [c.observe() for _ in range(4)]
    assert http.asked.count("resilience") == 4
    assert http.asked.count("readyz") == 2 and http.asked.count("metrics") == 1
    assert [r.full for r in rounds] == [True, False, False, False]
    assert all(r.instances[0].ready is True for r in rounds)     # readiness kept between its readings


def test_an_instance_that_stops_answering_is_unreachable_at_the_next_round():
    c, http = collector()
    c.ready_every = 2
    c.observe()
    http.down = True
    seen = c.observe().instances[0]                              # a round without a /readyz reading
    assert seen.ready is None and seen.board is None
