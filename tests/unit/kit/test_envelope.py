import json
from datetime import datetime, timezone

import pytest

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.envelope import InvalidMessage, decode, derived_event_id
from faultline_kit.messages import EnvelopeStamper, EventPayload, payload_of


class Ping(EventPayload):
    event_type = "Ping"
    n: int


class Pong(EventPayload):
    event_type = "Pong"


def stamper() -> EnvelopeStamper:
    return EnvelopeStamper("svc-1", LamportClock(), WallClock())


def test_an_envelope_survives_the_wire():
    envelope = stamper().stamp(Ping(n=3), "agg-1", 2)
    assert decode(envelope.encode()) == envelope
    assert envelope.key() == b"agg-1"


def test_stamping_ticks_the_lamport_clock():
    s = stamper()
    assert [s.stamp(Ping(n=1), "a", 1).lamport for _ in range(3)] == [1, 2, 3]


def test_observing_a_later_event_moves_the_clock_past_it():
    clock = LamportClock()
    clock.observe(41)
    assert clock.tick() == 43


def test_the_wall_clock_can_be_skewed():
    skewed = WallClock(skew_ms=600_000).now()
    assert (skewed - datetime.now(timezone.utc)).total_seconds() > 590


@pytest.mark.parametrize("raw, complaint", [
    (None, "empty"),
    (b"{not json", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"type": "Ping"}).encode(), "event_id"),
])
def test_a_malformed_message_is_invalid_and_says_why(raw, complaint):
    with pytest.raises(InvalidMessage, match=complaint):
        decode(raw)


def test_derived_ids_are_stable_per_cause_and_type():
    assert derived_event_id("c", "A") == derived_event_id("c", "A")
    assert derived_event_id("c", "A") != derived_event_id("c", "B")


def test_a_payload_is_validated_against_its_model():
    good = stamper().stamp(Ping(n=1), "a", 1)
    assert payload_of(Ping, good) == Ping(n=1)
    bad = good.model_copy(update={"payload": {"n": "many"}})
    with pytest.raises(InvalidMessage, match="n"):
        payload_of(Ping, bad)


def test_a_payload_of_another_type_or_a_newer_schema_is_refused():
    envelope = stamper().stamp(Ping(n=1), "a", 1)
    with pytest.raises(InvalidMessage, match="not a Pong"):
        payload_of(Pong, envelope)
    with pytest.raises(InvalidMessage, match="newer"):
        payload_of(Ping, envelope.model_copy(update={"schema_version": 2}))
