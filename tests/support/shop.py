"""A shopper driving Faultline through its front ports, as a user with curl would: the local stack's or a cluster's."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests

from support.stack import LocalStack, eventually

TERMINAL = {"CONFIRMED", "REJECTED", "CANCELLED"}


@dataclass
class Shop:
    stack: LocalStack
    http: requests.Session

    def url(self, service: str, path: str) -> str:
        return self.stack.url(service) + path

    def add(self, cart_id: str, sku: str, quantity: int) -> requests.Response:
        return self.http.put(self.url("cart", f"/carts/{cart_id}/items/{sku}"), json={"quantity": quantity},
                             timeout=10)

    def checkout(self, cart_id: str, email: str, key: str | None = None) -> requests.Response:
        return self.http.post(self.url("cart", f"/carts/{cart_id}/checkout"), json={"email": email},
                              headers={"Idempotency-Key": key or str(uuid.uuid4())}, timeout=15)

    def order(self, order_id: str) -> dict[str, Any]:
        return self.http.get(self.url("order", f"/orders/{order_id}"), timeout=10).json()

    def product(self, sku: str) -> dict[str, Any]:
        return self.http.get(self.url("inventory", f"/products/{sku}"), timeout=10).json()

    def reservation(self, order_id: str) -> dict[str, Any]:
        return self.http.get(self.url("inventory", f"/reservations/{order_id}"), timeout=10).json()

    def set_stock(self, sku: str, available: int) -> requests.Response:
        return self.http.put(self.url("inventory", f"/products/{sku}/stock"), json={"available": available},
                             headers=self.stack.admin_headers, timeout=10)

    def emails(self, order_id: str) -> list[dict[str, Any]]:
        return self.http.get(self.url("email", "/emails"), params={"order_id": order_id}, timeout=10).json()["emails"]

    def mailpit_subjects(self) -> list[str]:
        body = self.http.get(f"{self.stack.settings.mailpit_url}/api/v1/messages", params={"limit": 5000},
                             timeout=10).json()
        return [m["Subject"] for m in body.get("messages") or []]

    def wait_terminal(self, order_id: str, timeout_s: float = 60) -> dict[str, Any]:
        def terminal() -> dict[str, Any] | None:
            order = self.order(order_id)
            return order if order.get("status") in TERMINAL else None

        return eventually(terminal, timeout_s, what=f"order {order_id} terminal")

    def buy(self, sku: str, quantity: int, email: str = "buyer@example.com") -> str:
        cart_id = f"cart-{uuid.uuid4().hex[:12]}"
        assert self.add(cart_id, sku, quantity).status_code == 200
        response = self.checkout(cart_id, email)
        assert response.status_code == 202, response.text
        return response.json()["order_id"]
