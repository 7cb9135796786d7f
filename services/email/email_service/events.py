"""Email's view of the order outcome events it consumes."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from faultline_kit.messages import EventPayload

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$"


class _Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    sku: str


class _Outcome(EventPayload):
    model_config = ConfigDict(frozen=True, extra="ignore")
    order_id: str = Field(min_length=1, max_length=64)
    email: str = Field(pattern=EMAIL_PATTERN)


class OrderConfirmed(_Outcome):
    event_type = "OrderConfirmed"
    total_cents: int = Field(ge=0)
    lines: list[_Line] = Field(min_length=1)


class OrderRejected(_Outcome):
    event_type = "OrderRejected"
    reason: str = Field(max_length=500)


class OrderCancelled(_Outcome):
    event_type = "OrderCancelled"
    total_cents: int = Field(ge=0)
