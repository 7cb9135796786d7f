"""What the control room shows, computed from what the instances report about themselves. Pure: observations in,
rows and numbers out; the collector (adapters/collector.py) gathers the observations, the templates draw them."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable

from faultline_ops import observe

BREAKER_SEVERITY = {"closed": 0, "half-open": 1, "open": 2}
# A member heard from once but no longer expected (a replaced pod) stays on the page this long after its last beat.
FORGET_AFTER_S = 60.0
WINDOW_S = 60.0


@dataclass(frozen=True)
class Endpoint:
    """One service instance the console reads: its name (= FAULTLINE_INSTANCE_ID), service and base URL."""

    name: str
    service: str
    url: str


@dataclass(frozen=True)
class InstanceObservation:
    endpoint: Endpoint
    ready: bool | None              # /readyz 200; None when nothing answered at all
    readiness: dict | None = None   # the /readyz body: checks, degraded
    board: dict | None = None       # /debug/resilience
    metrics: str | None = None      # /metrics, Prometheus text


@dataclass(frozen=True)
class Observation:
    """One collection round: every instance, the console's own membership view, and the slower readings."""

    at: float                                         # wall clock, seconds
    instances: tuple[InstanceObservation, ...]
    members: tuple[dict, ...] = ()                    # kit MembershipView.members() of the console's own listener
    depths: dict[str, int] | None = None              # retry and dead-letter topic depths; None: Kafka unreadable
    orders_by_status: dict[str, int] | None = None    # None: order unreadable
    chaos: dict | None = None                         # the running (or last) chaos experiment, if any
    full: bool = True                                 # /metrics was read this round
    replication: dict | None = None                   # HA profile: brokers, ISR, controller, Redis primary, lag


# --- instances --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InstanceRow:
    name: str
    service: str
    member: str                  # alive | suspect | dead | left | unknown (never heard)
    last_seen_s: float | None
    ready: bool | None
    breakers: dict[str, str]
    consumer_lag: int | None
    paused: bool
    outbox: str | None = None
    expected: bool = True        # an endpoint the console reads (False: only heard of through heartbeats)


def instance_rows(obs: Observation) -> list[InstanceRow]:
    """Every expected instance, plus members heard from recently that no endpoint names (a replaced pod)."""
    members = {m["instance_id"]: m for m in obs.members}
    rows = []
    for seen in obs.instances:
        member = members.pop(seen.endpoint.name, None)
        report = observe.instance_report(seen.board)
        rows.append(InstanceRow(
            seen.endpoint.name, seen.endpoint.service, member["status"] if member else "unknown",
            member["last_seen_s"] if member else None, seen.ready,
            report.get("breakers") or {}, report.get("consumer_lag"), bool(report.get("paused")),
            report.get("outbox")))
    for member in members.values():
        if member.get("service") == "console" or member["last_seen_s"] > FORGET_AFTER_S:
            continue
        rows.append(InstanceRow(member["instance_id"], member["service"], member["status"], member["last_seen_s"],
                                None, dict(member.get("breakers") or {}), member.get("consumer_lag"), False,
                                expected=False))
    return sorted(rows, key=lambda r: (r.service, r.name))


# --- consumer groups and the outbox -----------------------------------------------------------------------------
@dataclass
class GroupRow:
    group: str
    lag: int = 0
    retry_lag: int = 0
    paused_partitions: list[str] = field(default_factory=list)
    retried: int = 0
    dead_lettered: int = 0
    retry_depth: int | None = None
    dlq_depth: int | None = None
    members: int = 0


RETRY_SUFFIX = ".retry"


def group_rows(obs: Observation) -> list[GroupRow]:
    """Per consumer group (its retry-topic twin folded in): lag, paused partitions, retries and dead letters sent
    by its members since they started, and how many records the retry and dead-letter topics hold."""
    groups: dict[str, GroupRow] = {}
    for seen in obs.instances:
        for name, stats in observe.consumer_groups(seen.board).items():
            main = name[: -len(RETRY_SUFFIX)] if name.endswith(RETRY_SUFFIX) else name
            row = groups.setdefault(main, GroupRow(main))
            lag = int(stats.get("total_lag", 0))
            if name == main:
                row.lag += lag
                row.members += 1
            else:
                row.retry_lag += lag
            if stats.get("paused"):
                row.paused_partitions += [f"{p}" for p in stats.get("assigned") or []]
            row.retried += int(stats.get("retried_via_topic", 0))
            row.dead_lettered += int(stats.get("dead_lettered", 0))
    for row in groups.values():
        if obs.depths is not None:
            row.retry_depth = obs.depths.get(f"{row.group}.retry")
            row.dlq_depth = obs.depths.get(f"{row.group}.dlq")
        row.paused_partitions.sort()
    return sorted(groups.values(), key=lambda r: r.group)


@dataclass(frozen=True)
class OutboxView:
    backlog: int | None        # entries not yet published (one Redis list, read by every order replica)
    holder: str | None         # the replica holding the relay lease
    token: int | None          # its fencing token (as the holder reports it)


def outbox_view(obs: Observation) -> OutboxView:
    backlogs, holder, token = [], None, None
    for seen in obs.instances:
        outbox = observe.outbox_of(seen.board)
        if not outbox:
            continue
        backlogs.append(int(outbox["backlog"]))
        lease = outbox.get("lease") or {}
        holder = holder or lease.get("holder")
        if lease.get("this_instance_holds"):
            holder, token = seen.endpoint.name, int(lease.get("token") or 0)
    return OutboxView(max(backlogs) if backlogs else None, holder, token)


# --- dependencies as the instances see them ---------------------------------------------------------------------
def dependency_health(obs: Observation) -> dict[str, bool | None]:
    """Is Redis / Kafka reachable, by majority of the instances' /readyz (None: nobody said)."""
    votes: dict[str, list[bool]] = {"redis": [], "kafka": []}
    for seen in obs.instances:
        body = seen.readiness or {}
        if "redis" in (body.get("checks") or {}):
            votes["redis"].append(bool(body["checks"]["redis"]))
        if "kafka" in (body.get("degraded") or {}):
            votes["kafka"].append(not body["degraded"]["kafka"])
    return {name: (sum(v) * 2 > len(v)) if v else None for name, v in votes.items()}


# --- counters and histograms from /metrics, over time -----------------------------------------------------------
REQUESTS_METRIC = "http_server_request_duration_seconds"
SAGA_METRIC = "faultline_saga_duration_seconds"


@dataclass(frozen=True)
class Counters:
    checkouts: float = 0.0                       # POST .../checkout answered 202
    failed: float = 0.0                          # any request answered 5xx
    saga_buckets: tuple[tuple[float, float], ...] = ()   # (le, cumulative count)


def parse_counters(text: str | None) -> Counters:
    """The figures one instance's /metrics holds (OpenTelemetry's Prometheus names)."""
    if not text:
        return Counters()
    from prometheus_client.parser import text_string_to_metric_families

    checkouts = failed = 0.0
    buckets: dict[float, float] = {}
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError:
        return Counters()
    for family in families:
        for sample in family.samples:
            labels = sample.labels
            if sample.name == f"{REQUESTS_METRIC}_count":
                status = str(labels.get("http_response_status_code", ""))
                if status.startswith("5"):
                    failed += sample.value
                if (labels.get("http_request_method") == "POST" and status == "202"
                        and labels.get("http_route", "").endswith("/checkout")):
                    checkouts += sample.value
            elif sample.name == f"{SAGA_METRIC}_bucket":
                le = float(labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
    return Counters(checkouts, failed, tuple(sorted(buckets.items())))


def histogram_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float | None:
    """Prometheus' histogram_quantile over cumulative (le, count) buckets: linear inside the bucket; None when
    empty. The +Inf bucket answers the highest finite bound."""
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank = q * ordered[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for le, count in ordered:
        if count >= rank:
            if le == float("inf"):
                return lower_bound
            if count == lower_count:
                return le
            return lower_bound + (le - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = le, count
    return ordered[-1][0]


class MonotonicTotal:
    """A counter summed over instances that restart: a value below the last one seen means the instance started
    again from zero, so all of it is new (Prometheus' rate() does the same)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._last: dict[Any, float] = {}

    def update(self, key: Any, value: float, baseline: bool = False) -> None:
        """Add what `key` counted since its last reading; with `baseline`, a first reading only sets the start
        (what happened before the console started is not shown as happening now)."""
        last = self._last.get(key)
        if last is None:
            self.total += 0.0 if baseline else value
        else:
            self.total += value if value < last else value - last
        self._last[key] = value


@dataclass(frozen=True)
class Sample:
    at: float
    checkouts: float
    failed: float
    saga: tuple[tuple[float, float], ...]
    backlog: int | None
    lag: int


class History:
    """The last minutes of totals, one sample per collection round: rates and last-minute figures from them."""

    def __init__(self, keep_s: float = 180.0) -> None:
        self.keep_s = keep_s
        self.samples: deque[Sample] = deque()
        self._checkouts = MonotonicTotal()
        self._failed = MonotonicTotal()
        self._saga: dict[float, MonotonicTotal] = {}

    def add(self, obs: Observation, backlog: int | None, lag: int) -> Sample | None:
        """Extend with a round that read /metrics; rounds that did not leave the history as it is."""
        if not obs.full:
            return self.samples[-1] if self.samples else None
        first = not self.samples
        for seen in obs.instances:
            if seen.metrics is None:
                continue
            counters = parse_counters(seen.metrics)
            key = seen.endpoint.name
            self._checkouts.update(key, counters.checkouts, first)
            self._failed.update(key, counters.failed, first)
            for le, count in counters.saga_buckets:
                self._saga.setdefault(le, MonotonicTotal()).update(key, count, first)
        saga = tuple(sorted((le, t.total) for le, t in self._saga.items()))
        sample = Sample(obs.at, self._checkouts.total, self._failed.total, saga, backlog, lag)
        if self.samples and sample.at <= self.samples[-1].at:
            return self.samples[-1]
        self.samples.append(sample)
        while self.samples and self.samples[0].at < sample.at - self.keep_s:
            self.samples.popleft()
        return sample

    def _ago(self, seconds: float) -> Sample | None:
        if not self.samples:
            return None
        target = self.samples[-1].at - seconds
        for sample in self.samples:
            if sample.at >= target:
                return sample
        return self.samples[0]

    def figures(self, window_s: float = WINDOW_S, rate_over_s: float = 5.0) -> dict[str, float | None]:
        """Checkouts per second (over the last few seconds), failed requests and saga p50/p95 over the window."""
        if len(self.samples) < 2:
            return {"checkouts_per_s": None, "failed_last_min": None, "saga_p50_s": None, "saga_p95_s": None}
        now, recent, minute = self.samples[-1], self._ago(rate_over_s), self._ago(window_s)
        span = max(now.at - recent.at, 1e-9)
        before = dict(minute.saga)
        window = [(le, count - before.get(le, 0.0)) for le, count in now.saga]
        return {"checkouts_per_s": round((now.checkouts - recent.checkouts) / span, 2),
                "failed_last_min": int(now.failed - minute.failed),
                "saga_p50_s": histogram_quantile(0.5, window), "saga_p95_s": histogram_quantile(0.95, window)}

    def series(self, window_s: float = 120.0) -> dict[str, list]:
        """Per-second rates and gauges for the charts: [time, checkouts/s, failed/s, outbox backlog, lag]."""
        points = [s for s in self.samples if s.at >= self.samples[-1].at - window_s] if self.samples else []
        out: dict[str, list] = {"t": [], "checkouts": [], "failed": [], "backlog": [], "lag": []}
        for previous, sample in zip(points, points[1:]):
            span = max(sample.at - previous.at, 1e-9)
            out["t"].append(round(sample.at, 2))
            out["checkouts"].append(round((sample.checkouts - previous.checkouts) / span, 2))
            out["failed"].append(round((sample.failed - previous.failed) / span, 2))
            out["backlog"].append(sample.backlog)
            out["lag"].append(sample.lag)
        return out
