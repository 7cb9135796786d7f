"""The message bus: handlers declared as data, dependencies injected by name, returned events sent once."""
import pytest

from faultline_kit.bus import EventOutlet, MessageBus, WiringError
from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.envelope import InvalidMessage
from faultline_kit.messages import EnvelopeStamper, EventPayload, NewEvent
from support.apps import RecordingOutlet, envelope_of


class Asked(EventPayload):
    event_type = "Asked"
    question: str


class Answered(EventPayload):
    event_type = "Answered"
    answer: str


def answer(event: Asked, event_id: str, aggregate_version: int, oracle) -> list[NewEvent]:
    return [NewEvent(Answered(answer=oracle(event.question)), "q-1", aggregate_version + 1, f"{event_id}/a")]


def stamper() -> EnvelopeStamper:
    return EnvelopeStamper("me", LamportClock(), WallClock())


def test_a_handler_gets_its_dependencies_by_name_and_the_message_facts_and_its_events_go_out():
    outlet = RecordingOutlet()
    bus = MessageBus({Asked: answer}, {"oracle": str.upper}, stamper(), outlet)
    envelope = envelope_of(Asked(question="why"), "q-1", version=4)
    bus(envelope)
    [sent] = outlet.sent
    assert (sent.payload, sent.aggregate_version, sent.event_id) == (Answered(answer="WHY"), 5,
                                                                      f"{envelope.event_id}/a")


def test_a_handler_asking_for_what_nobody_provides_fails_at_start_up_naming_it():
    with pytest.raises(WiringError, match="oracle"):
        MessageBus({Asked: answer}, {}, stamper())


def test_the_bus_handles_only_the_declared_types():
    bus = MessageBus({Asked: answer}, {"oracle": str.upper}, stamper(), RecordingOutlet())
    assert bus.handles("Asked") and not bus.handles("Answered")
    with pytest.raises(InvalidMessage):
        bus(envelope_of(Answered(answer="x"), "q-1"))


def test_the_receiver_s_lamport_clock_moves_past_the_sender_s():
    receiver = stamper()
    bus = MessageBus({Asked: answer}, {"oracle": str.upper}, receiver, RecordingOutlet())
    sender = EnvelopeStamper("peer", LamportClock(), WallClock())
    for _ in range(5):
        envelope = sender.stamp(Asked(question="q"), "q-1", 1)
    bus(envelope)
    assert receiver.lamport.tick() > envelope.lamport


def test_events_returned_without_an_outlet_are_a_wiring_error_not_silently_dropped():
    bus = MessageBus({Asked: answer}, {"oracle": str.upper}, stamper())
    with pytest.raises(WiringError, match="no outlet"):
        bus(envelope_of(Asked(question="q"), "q-1"))


def test_the_outlet_stamps_with_the_service_s_identity_for_its_topic():
    outlet = EventOutlet(stamper(), "answers")
    [envelope] = outlet.stamp([NewEvent(Answered(answer="a"), "q-1", 2)])
    assert (envelope.producer, envelope.type, envelope.aggregate_version) == ("me", "Answered", 2)
    with pytest.raises(WiringError, match="outbox"):
        outlet.send([NewEvent(Answered(answer="a"), "q-1", 2)])
