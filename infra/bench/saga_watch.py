"""The checkout saga at one shopper: how long from "checkout accepted" until the order is terminal, watched closely.

One shopper, one checkout at a time: put a line in a fresh cart, check out (202), then poll the order every
`poll_ms` (5 ms) until it is CONFIRMED, REJECTED or CANCELLED. The saga time is from the 202's arrival to the first
poll that saw it terminal, so it is exact to about one poll (5 ms plus one GET). The checkout's own answer time is
kept beside it.
"""
from __future__ import annotations

import time
import uuid

import requests

from micro import percentile

TERMINAL = frozenset({"CONFIRMED", "REJECTED", "CANCELLED"})


def one_saga(http: requests.Session, cart_url: str, order_url: str, sku: str, poll_s: float,
             timeout_s: float) -> tuple[float, float, str]:
    """(checkout answer ms, saga ms, final status) of one checkout."""
    cart = f"bench-saga-{uuid.uuid4().hex[:10]}"
    http.put(f"{cart_url}/carts/{cart}/items/{sku}", json={"quantity": 1}, timeout=10).raise_for_status()
    began = time.perf_counter()
    answer = http.post(f"{cart_url}/carts/{cart}/checkout", json={"email": "saga@example.com"},
                       headers={"Idempotency-Key": cart}, timeout=10)
    accepted = time.perf_counter()
    if answer.status_code != 202:
        raise RuntimeError(f"checkout answered {answer.status_code}: {answer.text[:200]}")
    order_id = answer.json()["order_id"]
    deadline = accepted + timeout_s
    while time.perf_counter() < deadline:
        status = http.get(f"{order_url}/orders/{order_id}", timeout=10).json().get("status")
        if status in TERMINAL:
            return (accepted - began) * 1000, (time.perf_counter() - accepted) * 1000, status
        time.sleep(poll_s)
    raise RuntimeError(f"order {order_id} not terminal {timeout_s:g} s after its checkout")


def saga_at_one_shopper(cart_url: str, order_url: str, n: int = 100, sku: str = "FL-001", poll_ms: float = 5.0,
                        warmup: int = 5, timeout_s: float = 30.0) -> dict[str, float]:
    with requests.Session() as http:
        for _ in range(warmup):
            one_saga(http, cart_url, order_url, sku, poll_ms / 1000, timeout_s)
        runs = [one_saga(http, cart_url, order_url, sku, poll_ms / 1000, timeout_s) for _ in range(n)]
    checkout = [r[0] for r in runs]
    saga = [r[1] for r in runs]
    not_confirmed = sum(1 for r in runs if r[2] != "CONFIRMED")
    if not_confirmed:
        raise RuntimeError(f"{not_confirmed} of {n} sagas did not end CONFIRMED (is {sku} in stock?)")
    return {"n": n, "poll_ms": poll_ms, "checkout_p50_ms": percentile(checkout, 0.5),
            **{f"{q}_ms": percentile(saga, p) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}}
