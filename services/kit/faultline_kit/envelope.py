"""The one event envelope every Faultline message travels in, and its JSON wire format."""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ENVELOPE_NAMESPACE = uuid.UUID("6f1c1d0e-53a4-4f43-9d43-3b4e0f6a7c21")


class InvalidMessage(ValueError):
    """A message that can never be processed: it belongs in the dead-letter topic."""


class Envelope(BaseModel):
    """Metadata shared by every event; `payload` is validated against the event type's own model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=64)
    schema_version: int = Field(ge=1)
    producer: str = Field(min_length=1, max_length=128)
    aggregate_id: str = Field(min_length=1, max_length=128)
    aggregate_version: int = Field(ge=0)
    lamport: int = Field(ge=0)
    occurred_at: datetime
    payload: dict[str, Any]

    def encode(self) -> bytes:
        return self.model_dump_json().encode("utf-8")

    def key(self) -> bytes:
        return self.aggregate_id.encode("utf-8")


def decode(raw: bytes | None) -> Envelope:
    """Parse wire bytes into an Envelope or raise InvalidMessage saying what is wrong."""
    if raw is None:
        raise InvalidMessage("empty message value")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidMessage(f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise InvalidMessage("envelope must be a JSON object")
    try:
        return Envelope.model_validate(document)
    except ValidationError as exc:
        raise InvalidMessage(f"invalid envelope: {describe_validation_error(exc)}") from exc


def describe_validation_error(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors())


def new_event_id() -> str:
    return str(uuid.uuid4())


def derived_event_id(cause_event_id: str, event_type: str) -> str:
    """The same cause always yields the same id, so a redelivered cause re-emits an event consumers dedupe."""
    return str(uuid.uuid5(ENVELOPE_NAMESPACE, f"{cause_event_id}/{event_type}"))


def validate_payload(model: type[BaseModel], payload: Mapping[str, Any]) -> BaseModel:
    """Validate a payload against the model its event type declares, raising InvalidMessage."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidMessage(f"invalid {model.__name__} payload: {describe_validation_error(exc)}") from exc
