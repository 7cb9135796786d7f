"""Products and reservations in Redis; every reservation is decided and written in one WATCH/MULTI transaction.

Reservations are the CP write of the shop: with `wait_replicas` > 0 (the HA profile) a reservation is answered only
once that many Redis replicas hold it (WAIT), so a failover cannot lose a reservation inventory already announced
(and sell its stock twice). When the replicas do not confirm, `reserve` raises ReplicationUnconfirmed, a Redis
connection error to the consumer: the OrderPlaced is rewound and tried again, and the order stays PENDING rather
than confirmed on a write that may vanish. Product reads, stock edits and releases do not wait.
"""
from __future__ import annotations

import json

import redis
from faultline_kit.redis_store import confirm_replicated

from ..domain import Line, Product, Reservation, ReservationStatus, decide_reservation, release, stock_after_reservation

PREFIX = "inventory"
SKUS_KEY = f"{PREFIX}:skus"
REPLICATION_MARK_KEY = f"{PREFIX}:replication-mark"   # written before each WAIT (see confirm_replicated)


def _product_key(sku: str) -> str:
    return f"{PREFIX}:product:{sku}"


def _reservation_key(order_id: str) -> str:
    return f"{PREFIX}:reservation:{order_id}"


def _encode_reservation(reservation: Reservation) -> str:
    return json.dumps({
        "order_id": reservation.order_id,
        "status": reservation.status.value,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in reservation.lines],
        "reason": reservation.reason,
    })


def _decode_reservation(raw: str) -> Reservation:
    doc = json.loads(raw)
    return Reservation(doc["order_id"], ReservationStatus(doc["status"]),
                       tuple(Line(l["sku"], int(l["quantity"])) for l in doc["lines"]), doc.get("reason", ""))


def _decode_product(sku: str, fields: dict[str, str]) -> Product | None:
    if not fields:
        return None
    return Product(sku, fields["name"], int(fields["price_cents"]), int(fields["available"]), int(fields["total"]))


class StockStore:
    def __init__(self, client: redis.Redis, wait_replicas: int = 0, wait_timeout_ms: int = 1000) -> None:
        self.redis = client
        self.wait_replicas = wait_replicas
        self.wait_timeout_ms = wait_timeout_ms

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def seed(self, products: list[Product]) -> int:
        """Create the products that do not exist yet; existing stock is never overwritten. Returns how many."""
        created = 0
        for product in products:
            key = _product_key(product.sku)
            with self.redis.pipeline() as pipe:
                pipe.hsetnx(key, "name", product.name)
                pipe.hsetnx(key, "price_cents", product.price_cents)
                pipe.hsetnx(key, "available", product.available)
                pipe.hsetnx(key, "total", product.total)
                pipe.zadd(SKUS_KEY, {product.sku: 0})
                results = pipe.execute()
            created += int(bool(results[2]))
        return created

    def product(self, sku: str) -> Product | None:
        return _decode_product(sku, self.redis.hgetall(_product_key(sku)))

    def products(self, skus: list[str] | None = None) -> list[Product]:
        """The whole catalog, or just the named SKUs that exist."""
        skus = self.redis.zrange(SKUS_KEY, 0, -1) if skus is None else skus
        with self.redis.pipeline(transaction=False) as pipe:
            for sku in skus:
                pipe.hgetall(_product_key(sku))
            rows = pipe.execute()
        return [p for p in (_decode_product(sku, row) for sku, row in zip(skus, rows)) if p is not None]

    def set_available(self, sku: str, available: int) -> Product | None:
        key = _product_key(sku)

        def apply(pipe: redis.client.Pipeline) -> Product | None:
            current = _decode_product(sku, pipe.hgetall(key))
            if current is None:
                return None
            updated = current.with_available(available)
            pipe.multi()
            pipe.hset(key, mapping={"available": updated.available, "total": updated.total})
            return updated

        return self.redis.transaction(apply, key, value_from_callable=True)

    def reservation(self, order_id: str) -> Reservation | None:
        raw = self.redis.get(_reservation_key(order_id))
        return _decode_reservation(raw) if raw else None

    def reserve(self, order_id: str, lines: tuple[Line, ...]) -> Reservation:
        """Decide once per order: a second call answers the stored decision and changes nothing.

        Either call returns only once `wait_replicas` replicas hold the decision (a redelivery confirms a decision
        an earlier attempt wrote but could not confirm); else ReplicationUnconfirmed.
        """
        decision = self._decide(order_id, lines)
        confirm_replicated(self.redis, self.wait_replicas, self.wait_timeout_ms, REPLICATION_MARK_KEY,
                           holding=_reservation_key(order_id))
        return decision

    def _decide(self, order_id: str, lines: tuple[Line, ...]) -> Reservation:
        reservation_key = _reservation_key(order_id)
        skus = sorted({line.sku for line in lines})
        product_keys = [_product_key(sku) for sku in skus]

        def apply(pipe: redis.client.Pipeline) -> Reservation:
            existing = pipe.get(reservation_key)
            if existing:
                return _decode_reservation(existing)
            available: dict[str, int | None] = {}
            for sku, key in zip(skus, product_keys):
                raw = pipe.hget(key, "available")
                available[sku] = int(raw) if raw is not None else None
            decision = decide_reservation(order_id, lines, available)
            pipe.multi()
            if decision.holds_stock:
                remaining = stock_after_reservation(decision, {k: v for k, v in available.items() if v is not None})
                for sku, left in remaining.items():
                    pipe.hset(_product_key(sku), "available", left)
            pipe.set(reservation_key, _encode_reservation(decision))
            return decision

        return self.redis.transaction(apply, reservation_key, *product_keys, value_from_callable=True)

    def release(self, order_id: str) -> Reservation | None:
        """Give a reservation's stock back exactly once; None when there was nothing to release."""
        reservation_key = _reservation_key(order_id)

        def apply(pipe: redis.client.Pipeline) -> Reservation | None:
            raw = pipe.get(reservation_key)
            if not raw:
                return None
            released = release(_decode_reservation(raw))
            if released is None:
                return None
            pipe.multi()
            for line in released.lines:
                pipe.hincrby(_product_key(line.sku), "available", line.quantity)
            pipe.set(reservation_key, _encode_reservation(released))
            return released

        return self.redis.transaction(apply, reservation_key, value_from_callable=True)
