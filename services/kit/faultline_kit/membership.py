"""Heartbeats and the membership view every instance keeps.

Every instance publishes a Heartbeat envelope to the `heartbeats` topic each second (instance id, service, start
time, Lamport time, breaker states, consumer lag, in-flight work) and reads everyone's heartbeats back.

Failure detector (timeout based, on the receiver's monotonic clock, so wall-clock skew cannot fool it):
- alive:   the last heartbeat arrived less than `suspect_after_s` (3 s = three missed beats) ago;
- suspect: less than `dead_after_s` (10 s) ago: slow, paused or partitioned, maybe coming back;
- dead:    nothing for `dead_after_s` or more;
- left:    it said goodbye (a final heartbeat on a clean SIGTERM).
A timeout detector is predictable and easy to reason about in experiments; phi-accrual adapts to jitter but needs
a history per member and a threshold that is harder to explain. The thresholds match Kafka's consumer session
timeout (10 s): a member turns dead about when its partitions move to the rest of its group.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from kafka import KafkaConsumer
from kafka.errors import KafkaError
from kafka.structs import TopicPartition

from .envelope import InvalidMessage, decode
from .publisher import RECONNECT_BACKOFF_MAX_MS, EventPublisher, KafkaUnavailable
from .messages import EnvelopeStamper, EventPayload
from .resilience import StatusBoard

log = logging.getLogger(__name__)

# Every instance reads every heartbeat: N instances beating each second are N records a second per listener. With
# Kafka's default fetch (answer as soon as one byte is there) each record is a fetch round trip of its own in every
# listener, and in kafka-python that round trip is most of the cost; asking the broker to hold a fetch until it has
# this much, or for at most FETCH_MAX_WAIT_MS, gathers them into two fetches a second. A beat is read up to 0.5 s
# later, against a detector that calls a member suspect after 3 s.
FETCH_MIN_BYTES = 1 << 20
FETCH_MAX_WAIT_MS = 500


class Heartbeat(EventPayload):
    event_type = "Heartbeat"
    instance_id: str
    service: str
    started_at: str
    lamport: int
    status: str
    breakers: dict[str, str]
    consumer_lag: int
    in_flight: int


@dataclass(frozen=True)
class Detector:
    suspect_after_s: float = 3.0
    dead_after_s: float = 10.0

    def judge(self, age_s: float, leaving: bool) -> str:
        if leaving:
            return "left"
        if age_s < self.suspect_after_s:
            return "alive"
        return "suspect" if age_s < self.dead_after_s else "dead"


@dataclass
class Member:
    heartbeat: Heartbeat
    received_monotonic: float
    beats: int = 1


@dataclass
class MembershipView:
    """Who this instance has heard from, and how recently."""

    self_id: str
    detector: Detector = field(default_factory=Detector)
    clock: Callable[[], float] = time.monotonic
    _members: dict[str, Member] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, heartbeat: Heartbeat, age_s: float = 0.0) -> None:
        """Record a heartbeat sent `age_s` ago (replayed history at start-up is older than what streams in)."""
        received = self.clock() - max(age_s, 0.0)
        with self._lock:
            known = self._members.get(heartbeat.instance_id)
            if known and known.received_monotonic > received:
                known.beats += 1
                return
            self._members[heartbeat.instance_id] = Member(heartbeat, received, known.beats + 1 if known else 1)

    def members(self) -> list[dict[str, Any]]:
        now = self.clock()
        with self._lock:
            members = list(self._members.values())
        rows = []
        for member in sorted(members, key=lambda m: (m.heartbeat.service, m.heartbeat.instance_id)):
            age = now - member.received_monotonic
            beat = member.heartbeat
            rows.append({
                "instance_id": beat.instance_id, "service": beat.service,
                "status": self.detector.judge(age, beat.status == "leaving"),
                "last_seen_s": round(age, 1), "started_at": beat.started_at, "lamport": beat.lamport,
                "breakers": beat.breakers, "consumer_lag": beat.consumer_lag, "in_flight": beat.in_flight,
                "heartbeats": member.beats,
            })
        return rows

    def describe(self) -> dict[str, Any]:
        return {"self": self.self_id,
                "detector": {"kind": "timeout", "suspect_after_s": self.detector.suspect_after_s,
                             "dead_after_s": self.detector.dead_after_s},
                "members": self.members()}


class HeartbeatLoop:
    """Publishes this instance's heartbeat every `interval_s`, whether or not Kafka takes it."""

    name = "heartbeat"

    def __init__(self, service: str, instance_id: str, publisher: EventPublisher, stamper: EnvelopeStamper,
                 board: StatusBoard, in_flight: Callable[[], int], topic: str, interval_s: float = 1.0) -> None:
        self.topic = topic
        self.service = service
        self.instance_id = instance_id
        self.publisher = publisher
        self.stamper = stamper
        self.board = board
        self.in_flight = in_flight
        self.interval_s = interval_s
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.sequence = 0
        self.published = 0

    def _beat(self, status: str) -> Heartbeat:
        consumers = (self.board.read("consumers") or {}).values()
        lag = sum(int(c.get("total_lag", 0)) for c in consumers)
        busy = sum(int(c.get("in_flight", 0)) for c in consumers)
        return Heartbeat(instance_id=self.instance_id, service=self.service, started_at=self.started_at,
                         lamport=self.stamper.lamport.time, status=status, breakers=self.board.breaker_states(),
                         consumer_lag=lag, in_flight=self.in_flight() + busy)

    def publish(self, status: str = "alive") -> None:
        self.sequence += 1
        envelope = self.stamper.stamp(self._beat(status), self.instance_id, self.sequence)
        self.publisher.publish(self.topic, envelope)
        self.published += 1

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.publish()
            except KafkaUnavailable as exc:
                log.debug("heartbeat not published: %s", exc)
            stop.wait(self.interval_s)
        try:
            self.publish("leaving")
        except KafkaUnavailable:
            pass
        self.publisher.close(timeout_s=1.0)


class MembershipListener:
    """Reads every heartbeat (no consumer group: each instance sees all of them) into the view.

    It starts `history` records back, so a new instance knows its peers at once; a replayed heartbeat is aged by
    its record timestamp (the sender's time.time(), which FAULTLINE_CLOCK_SKEW_MS does not move).
    """

    name = "membership"
    history = 500

    def __init__(self, bootstrap: str, client_id: str, view: MembershipView, topic: str) -> None:
        self.topic = topic
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.view = view

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, client_id=f"{self.client_id}-membership",
                                         group_id=None, enable_auto_commit=False, bootstrap_timeout_ms=5000,
                                         fetch_min_bytes=FETCH_MIN_BYTES, fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
                                         reconnect_backoff_max_ms=RECONNECT_BACKOFF_MAX_MS)
            except KafkaError as exc:
                log.debug("membership listener cannot connect: %r", exc)
                stop.wait(2.0)
                continue
            try:
                partitions = [TopicPartition(self.topic, p) for p in consumer.partitions_for_topic(self.topic) or {0}]
                consumer.assign(partitions)
                ends = consumer.end_offsets(partitions)
                starts = consumer.beginning_offsets(partitions)
                for partition in partitions:
                    consumer.seek(partition, max(ends[partition] - self.history, starts[partition]))
                while not stop.is_set():
                    for records in consumer.poll(timeout_ms=500).values():
                        for record in records:
                            self._observe(record.value, time.time() - record.timestamp / 1000.0)
            except KafkaError as exc:
                log.warning("membership listener lost Kafka: %r", exc)
                stop.wait(1.0)
            finally:
                consumer.close()

    def _observe(self, raw: bytes | None, age_s: float) -> None:
        try:
            envelope = decode(raw)
            if envelope.type == Heartbeat.event_type:
                self.view.observe(Heartbeat.model_validate(envelope.payload), age_s)
        except (InvalidMessage, ValueError) as exc:
            log.debug("ignored a malformed heartbeat: %s", exc)
