"""Events inventory consumes (its view of order's contracts) and the events it publishes."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from faultline_kit.messages import EventPayload


class LinePayload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1000)


class OrderPlaced(EventPayload):
    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type = "OrderPlaced"
    order_id: str = Field(min_length=1, max_length=64)
    lines: list[LinePayload] = Field(min_length=1, max_length=100)


class OrderCancelled(EventPayload):
    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type = "OrderCancelled"
    order_id: str = Field(min_length=1, max_length=64)


class ReservedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    sku: str
    quantity: int


class StockReserved(EventPayload):
    event_type = "StockReserved"
    order_id: str
    lines: list[ReservedLine]


class StockRejected(EventPayload):
    event_type = "StockRejected"
    order_id: str
    reason: str


class StockReleased(EventPayload):
    event_type = "StockReleased"
    order_id: str
    lines: list[ReservedLine]
