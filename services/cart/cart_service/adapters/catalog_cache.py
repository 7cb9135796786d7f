"""The last price cart saw for each SKU, kept in cart's own Redis so it can price while inventory is down."""
from __future__ import annotations

import json
import time

import redis

PREFIX = "cart:catalog"


class CatalogCache:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def remember(self, sku: str, price_cents: int) -> None:
        self.redis.set(f"{PREFIX}:{sku}", json.dumps({"price_cents": price_cents, "seen_at": time.time()}))

    def recall(self, sku: str) -> int | None:
        raw = self.redis.get(f"{PREFIX}:{sku}")
        return int(json.loads(raw)["price_cents"]) if raw else None
