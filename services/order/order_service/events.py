"""Events order publishes, and its view of the inventory events it consumes."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from faultline_kit.messages import EventPayload


class OrderLinePayload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sku: str
    quantity: int
    unit_price_cents: int


class OrderPlaced(EventPayload):
    event_type = "OrderPlaced"
    order_id: str
    cart_id: str
    email: str
    lines: list[OrderLinePayload]
    total_cents: int


class OrderConfirmed(EventPayload):
    event_type = "OrderConfirmed"
    order_id: str
    email: str
    lines: list[OrderLinePayload]
    total_cents: int


class OrderRejected(EventPayload):
    event_type = "OrderRejected"
    order_id: str
    email: str
    reason: str


class OrderCancelled(EventPayload):
    event_type = "OrderCancelled"
    order_id: str
    email: str
    lines: list[OrderLinePayload]
    total_cents: int


class StockReserved(EventPayload):
    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type = "StockReserved"
    order_id: str = Field(min_length=1, max_length=64)


class StockRejected(EventPayload):
    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type = "StockRejected"
    order_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(max_length=500)
