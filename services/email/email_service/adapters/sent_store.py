"""What email sent, in Redis, by event id and by order."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import redis

from ..domain import SentMail

PREFIX = "email"
INDEX_KEY = f"{PREFIX}:index"


def _sent_key(event_id: str) -> str:
    return f"{PREFIX}:sent:{event_id}"


def _order_key(order_id: str) -> str:
    return f"{PREFIX}:order:{order_id}"


class SentStore:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def already_sent(self, event_id: str) -> bool:
        return bool(self.redis.exists(_sent_key(event_id)))

    def record(self, sent: SentMail) -> bool:
        """Store the record once; False when this event was recorded before."""
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_sent_key(sent.event_id), json.dumps(asdict(sent)), nx=True)
            pipe.zadd(INDEX_KEY, {sent.event_id: datetime.fromisoformat(sent.sent_at).timestamp()}, nx=True)
            pipe.sadd(_order_key(sent.order_id), sent.event_id)
            created = pipe.execute()[0]
        return bool(created)

    def _load(self, event_ids: list[str]) -> list[SentMail]:
        raws = self.redis.mget([_sent_key(e) for e in event_ids]) if event_ids else []
        return [SentMail(**json.loads(raw)) for raw in raws if raw]

    def for_order(self, order_id: str) -> list[SentMail]:
        return sorted(self._load(sorted(self.redis.smembers(_order_key(order_id)))), key=lambda m: m.sent_at)

    def page(self, offset: int, limit: int) -> tuple[list[SentMail], int]:
        ids = self.redis.zrange(INDEX_KEY, offset, offset + limit - 1)
        return self._load(ids), int(self.redis.zcard(INDEX_KEY))
