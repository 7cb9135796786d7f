"""What a run observed, as time-stamped samples (seconds since the run started), and pure queries over windows."""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

OK = "ok"


@dataclass(frozen=True)
class Request:
    """One HTTP request the load made: `status` is the HTTP status, "timeout", or "no-answer" (connection refused
    or reset)."""

    t: float
    kind: str            # browse | add | checkout
    status: str
    latency_ms: float
    ok: bool


@dataclass(frozen=True)
class Flow:
    """One customer: browse, add to cart, check out with an Idempotency-Key (retried with the same key)."""

    t: float
    key: str
    ok: bool
    order_id: str | None
    attempts: int
    last_status: str
    end: float | None = None   # when the customer had its answer (None: taken as `t`)


@dataclass(frozen=True)
class Readiness:
    t: float
    services: dict[str, bool]
    replicas: dict[str, bool]


@dataclass(frozen=True)
class Pending:
    t: float
    count: int


@dataclass(frozen=True)
class Settled:
    """When the sampler first saw one of the run's orders terminal (CONFIRMED, REJECTED, CANCELLED)."""

    t: float
    order_id: str


@dataclass(frozen=True)
class Window:
    """A stretch of the run: a fault window (`label` names the step) or a judged phase. `answered_by`, when set,
    is when the next fault began: a request started in the window but answered after that ran into the next
    fault, and is judged by neither step (as a customer is, see `flows_in`)."""

    start: float
    end: float
    label: str = ""
    answered_by: float | None = None

    def __contains__(self, t: float) -> bool:
        return self.start <= t < self.end

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 0.0)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(q / 100.0 * len(ordered)), 1)
    return ordered[rank - 1]


@dataclass
class Timeline:
    """Thread-safe sink the load, the probes and the runner write to; read through `in_window` queries."""

    requests: list[Request] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    readiness: list[Readiness] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    faults: list[Window] = field(default_factory=list)
    settled: list[Settled] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, sample: Request | Flow | Readiness | Pending | Settled) -> None:
        bucket = {Request: self.requests, Flow: self.flows, Readiness: self.readiness, Pending: self.pending,
                  Settled: self.settled}
        with self._lock:
            bucket[type(sample)].append(sample)

    def snapshot(self) -> "Timeline":
        """A consistent copy, so judging never races the threads still writing."""
        with self._lock:
            return Timeline(list(self.requests), list(self.flows), list(self.readiness), list(self.pending),
                            list(self.faults), list(self.settled))

    def requests_in(self, window: Window, kind: str | None = None) -> list[Request]:
        return [r for r in self.requests if r.t in window and (kind is None or r.kind == kind)
                and (window.answered_by is None or r.t + r.latency_ms / 1000.0 <= window.answered_by)]

    def flows_in(self, window: Window) -> list[Flow]:
        """Customers who started and had their answer within the window: one that started just before the next
        fault and ran into it is judged by neither."""
        return [f for f in self.flows if f.t in window and (f.end if f.end is not None else f.t) <= window.end]

    def readiness_in(self, window: Window) -> list[Readiness]:
        return [r for r in self.readiness if r.t in window]

    def pending_in(self, window: Window) -> list[Pending]:
        return [p for p in self.pending if p.t in window]

    @property
    def end(self) -> float:
        times = [s.t for s in (*self.requests, *self.readiness, *self.pending)]
        return max(times, default=0.0)
