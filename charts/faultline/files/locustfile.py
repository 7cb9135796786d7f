"""The chart's built-in load: shoppers who browse the catalog, fill a cart and check out.

Used when `locust.locustfile` is empty; point it at the repository's own locustfile with
`--set-file locust.locustfile=<path>`. The cart is Locust's host; inventory is reached at FAULTLINE_INVENTORY_URL.
"""
import os
import random
import uuid

from locust import HttpUser, between, task

INVENTORY_URL = os.environ.get("FAULTLINE_INVENTORY_URL", "http://faultline-inventory:8080")


class Shopper(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        products = self.client.get(f"{INVENTORY_URL}/products", name="inventory /products").json()["products"]
        self.skus = [product["sku"] for product in products] or ["missing"]

    @task(3)
    def browse(self):
        self.client.get(f"{INVENTORY_URL}/products/{random.choice(self.skus)}", name="inventory /products/{sku}")

    @task(1)
    def checkout(self):
        cart_id = f"load-{uuid.uuid4().hex[:12]}"
        self.client.put(f"/carts/{cart_id}/items/{random.choice(self.skus)}", json={"quantity": 1},
                        name="/carts/{id}/items/{sku}")
        self.client.post(f"/carts/{cart_id}/checkout", json={"email": "load@example.com"},
                         headers={"Idempotency-Key": str(uuid.uuid4())}, name="/carts/{id}/checkout")
