"""Traffic during an experiment: a built-in steady generator of customers, and the pending-orders sampler.

The runner only needs a `LoadSource`: something that, once started, writes `Request` and `Flow` samples into the
timeline and can say which orders it placed. A Locust-driven source can replace `SteadyTraffic` behind the same
protocol. Every target must be on the loopback interface; the generator is bounded in rate, count and time.
"""
from __future__ import annotations

import ipaddress
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Protocol
from urllib.parse import urlsplit

import requests

from .timeline import Flow, Pending, Request, Settled, Timeline

log = logging.getLogger(__name__)

Clock = Callable[[], float]
TERMINAL = frozenset({"CONFIRMED", "REJECTED", "CANCELLED"})


class LoadSource(Protocol):
    def start(self, timeline: Timeline, clock: Clock) -> None: ...

    def stop(self) -> None: ...

    def accepted(self) -> dict[str, str]:
        """Idempotency key -> order id of every checkout the system accepted (202)."""
        ...


def require_loopback(url: str) -> str:
    """Refuse any target that is not on this machine's loopback interface."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return url
    try:
        if ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise ValueError(f"load targets must be loopback addresses (127.0.0.0/8, ::1, localhost), not {url}")


@dataclass(frozen=True)
class ClientRetry:
    """How a well-behaved client retries: the same Idempotency-Key, a short backoff, Retry-After honoured up to a
    cap, a bounded number of attempts."""

    attempts: int = 3
    backoff_s: float = 0.3
    retry_after_cap_s: float = 1.0
    timeout_s: float = 6.0


@dataclass(frozen=True)
class Targets:
    cart: str
    inventory: str
    order: str

    def checked(self) -> "Targets":
        return Targets(*(require_loopback(url).rstrip("/") for url in (self.cart, self.inventory, self.order)))


class SteadyTraffic:
    """Starts `flows_per_s` customers a second (at most `max_flows`, for at most `max_s`) on a bounded pool.

    A customer browses a product (GET inventory /products/{sku}), puts it in a cart (PUT, retried) and checks out
    (POST with an Idempotency-Key, retried with the same key on 5xx or no answer). Each HTTP request is recorded
    with its start time, latency and status; each customer as a flow that succeeded or not.
    """

    def __init__(self, targets: Targets, flows_per_s: float, max_s: float, max_flows: int, skus: list[str],
                 retry: ClientRetry = ClientRetry(), workers: int = 24, seed: int | None = None) -> None:
        if flows_per_s <= 0 or max_s <= 0 or max_flows <= 0:
            raise ValueError("rate, duration and count must be positive")
        if not skus:
            raise ValueError("no SKUs to buy")
        self.targets = targets.checked()
        self.flows_per_s = flows_per_s
        self.max_s = max_s
        self.max_flows = max_flows
        self.skus = skus
        self.retry = retry
        self.workers = workers
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._accepted: dict[str, str] = {}
        self._lock = threading.Lock()
        self._busy = 0
        self.started_flows = 0
        self.skipped_ticks = 0

    # --- protocol ---------------------------------------------------------------------------------------------
    def warm(self) -> None:
        """Put every SKU the load buys into a cart once, so cart has a price for each in its cache before any fault
        (what it serves, marked stale, while inventory is unreachable)."""
        with requests.Session() as session:
            for sku in self.skus:
                session.put(f"{self.targets.cart}/carts/chaos-warmup/items/{sku}", json={"quantity": 1}, timeout=5)

    def start(self, timeline: Timeline, clock: Clock) -> None:
        self._timeline, self._clock = timeline, clock
        self.warm()
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="chaos-load")
        self._thread = threading.Thread(target=self._schedule, name="chaos-load-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def accepted(self) -> dict[str, str]:
        with self._lock:
            return dict(self._accepted)

    # --- scheduling -------------------------------------------------------------------------------------------
    def _schedule(self) -> None:
        interval = 1.0 / self.flows_per_s
        started = time.monotonic()
        next_at = started
        while not self._stop.is_set() and self.started_flows < self.max_flows:
            if time.monotonic() - started >= self.max_s:
                log.warning("load stopped at its time bound (%.0f s)", self.max_s)
                break
            with self._lock:
                saturated = self._busy >= self.workers
                if not saturated:
                    self._busy += 1
            if saturated:
                self.skipped_ticks += 1   # never queue unbounded work behind a slow system
            else:
                self.started_flows += 1
                self._pool.submit(self._flow)
            next_at += interval
            self._stop.wait(max(next_at - time.monotonic(), 0.0))

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _request(self, kind: str, method: str, url: str, **kwargs) -> requests.Response | None:
        t = self._clock()
        began = time.perf_counter()
        try:
            response = self._session().request(method, url, timeout=self.retry.timeout_s, **kwargs)
        except requests.RequestException as error:
            status = "timeout" if isinstance(error, requests.Timeout) else "no-answer"
            self._timeline.add(Request(t, kind, status, (time.perf_counter() - began) * 1000, False))
            return None
        ok = response.status_code < 400 or (kind == "browse" and response.status_code == 404)
        self._timeline.add(Request(t, kind, str(response.status_code), (time.perf_counter() - began) * 1000, ok))
        return response

    def _with_retries(self, kind: str, method: str, url: str, **kwargs) -> tuple[requests.Response | None, int]:
        response = None
        for attempt in range(1, self.retry.attempts + 1):
            response = self._request(kind, method, url, **kwargs)
            if response is not None and response.status_code < 500:
                return response, attempt
            if attempt < self.retry.attempts and not self._stop.is_set():
                wait = self.retry.backoff_s * 2 ** (attempt - 1)
                if response is not None and response.headers.get("Retry-After", "").isdigit():
                    wait = max(wait, min(float(response.headers["Retry-After"]), self.retry.retry_after_cap_s))
                time.sleep(wait * (0.5 + self._rng.random() / 2))
        return response, self.retry.attempts

    def _flow(self) -> None:
        try:
            self._customer()
        except Exception:  # noqa: BLE001 - a broken flow is logged, never kills the pool
            log.exception("load flow failed unexpectedly")
        finally:
            with self._lock:
                self._busy -= 1

    def _customer(self) -> None:
        t = self._clock()
        sku = self._rng.choice(self.skus)
        cart_id = f"chaos-{uuid.uuid4().hex[:12]}"
        key = f"chaos-{uuid.uuid4()}"
        self._request("browse", "GET", f"{self.targets.inventory}/products/{sku}")
        added, _ = self._with_retries("add", "PUT", f"{self.targets.cart}/carts/{cart_id}/items/{sku}",
                                      json={"quantity": 1})
        if added is None or added.status_code != 200:
            self._timeline.add(Flow(t, key, False, None, 0, _status(added), self._clock()))
            return
        response, attempts = self._with_retries(
            "checkout", "POST", f"{self.targets.cart}/carts/{cart_id}/checkout",
            json={"email": "chaos@example.com"}, headers={"Idempotency-Key": key})
        order_id = None
        if response is not None and response.status_code == 202:
            order_id = response.json().get("order_id")
            with self._lock:
                self._accepted[key] = order_id
        self._timeline.add(Flow(t, key, order_id is not None, order_id, attempts, _status(response), self._clock()))


def _placed_after(order: dict, moment: datetime) -> bool:
    try:
        return datetime.fromisoformat(order["created_at"]) > moment
    except (KeyError, TypeError, ValueError):
        return False


def _status(response: requests.Response | None) -> str:
    return "no-answer" if response is None else str(response.status_code)


class PendingSampler:
    """Once a second: how many orders this run placed are not terminal yet, and when each was first seen terminal.

    Each tick reads order's listing (placement order) from the oldest order not yet seen terminal, one page of
    `page_size`, so a backlog of hundreds is counted in one request as it really stands. An accepted order that page
    does not hold (one placed under a skewed clock sorts before it, a backlog longer than a page runs past it) is
    asked for alone, the oldest first, at most `per_tick` a tick, `concurrency` at a time: the count is exact for
    what was asked and an upper bound for the rest, and each order's settling time is known to about a tick.
    (Asking every order alone, 40 a tick, lagged a backlog by seconds: kill-service counted 110 orders pending
    through order's whole outage that order had confirmed before it went down.)
    """

    def __init__(self, order_url: str, source: LoadSource, per_tick: int = 40, interval_s: float = 1.0,
                 concurrency: int = 4, page_size: int = 500) -> None:
        self.order_url = require_loopback(order_url).rstrip("/")
        self.source = source
        self.per_tick = per_tick
        self.interval_s = interval_s
        self.concurrency = concurrency
        self.page_size = page_size
        self._cursor = 0                     # listing offset of the oldest order not known terminal (any order)
        self._terminal: set[str] = set()
        self.confirmed: set[str] = set()     # orders a customer polling them saw CONFIRMED (the ledger's)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._local = threading.local()

    def start(self, timeline: Timeline, clock: Clock) -> None:
        self._cursor = self._start_cursor(datetime.now(timezone.utc))   # before the load starts
        self._thread = threading.Thread(target=self._run, args=(timeline, clock), name="chaos-pending", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _listing(self, offset: int, limit: int) -> tuple[list[dict], int] | None:
        """One page of order's listing and its total; None when order could not be asked."""
        try:
            response = self._session().get(f"{self.order_url}/orders", params={"offset": offset, "limit": limit},
                                           timeout=5)
            if response.status_code != 200:
                return None
            body = response.json()
            return body["orders"], int(body["total"])
        except (requests.RequestException, ValueError, KeyError):
            return None

    def _start_cursor(self, since: datetime) -> int:
        """Where this run's orders will be listed: past every order placed before `since`, but before those a
        clock set ahead dated later than `since`. A clock-skew run leaves orders up to its skew in the future; the
        listing puts every new order before them, so a cursor at the listing's end would miss this whole run's
        orders and leave each to be asked for alone, `per_tick` a tick (kill-kafka after clock-skew in
        `make chaos-all` saw its backlog of 145 drained 2-3 s late)."""
        listing = self._listing(0, 1)
        if listing is None:
            return 0
        cursor = listing[1]
        while cursor > 0:
            offset = max(cursor - self.page_size, 0)
            tail = self._listing(offset, cursor - offset)
            if tail is None:
                break
            later = 0
            for order in reversed(tail[0]):
                if not _placed_after(order, since):
                    break
                later += 1
            cursor -= later
            if later < len(tail[0]) or not tail[0]:
                break
        return cursor

    def _page(self) -> dict[str, str] | None:
        """Order id -> status of one page from the cursor, which then moves past the page's terminal head."""
        listing = self._listing(self._cursor, self.page_size)
        if listing is None:
            return None
        orders, now = listing[0], datetime.now(timezone.utc)
        # Past the terminal head, but never past an order dated later than now: every order placed from here on
        # is listed before it (see `_start_cursor`).
        head = next((i for i, order in enumerate(orders)
                     if order.get("status") not in TERMINAL or _placed_after(order, now)), len(orders))
        self._cursor += head
        return {order["order_id"]: order.get("status") for order in orders}

    def _is_terminal(self, order_id: str) -> bool | None:
        """True or False from order; None when order could not be asked."""
        try:
            response = self._session().get(f"{self.order_url}/orders/{order_id}", timeout=2)
        except requests.RequestException:
            return None
        status = response.json().get("status") if response.status_code == 200 else None
        if status == "CONFIRMED":
            self.confirmed.add(order_id)
        return status in TERMINAL

    def _seen(self, order_id: str, settled: Callable[[str], None]) -> None:
        self._terminal.add(order_id)
        settled(order_id)

    def sample(self, pool: ThreadPoolExecutor, settled: Callable[[str], None] = lambda order_id: None) -> int:
        pending = [oid for oid in self.source.accepted().values() if oid not in self._terminal]
        page = self._page() if pending else {}
        if page is None:
            return len(pending)   # order unreachable: count what is known, try again next tick
        for order_id in pending:
            status = page.get(order_id)
            if status == "CONFIRMED":
                self.confirmed.add(order_id)
            if status in TERMINAL:
                self._seen(order_id, settled)
        alone = [oid for oid in pending if oid not in page][: self.per_tick]
        for start in range(0, len(alone), self.concurrency):
            chunk = alone[start:start + self.concurrency]
            answers = list(pool.map(self._is_terminal, chunk))
            for order_id, terminal in zip(chunk, answers):
                if terminal:
                    self._seen(order_id, settled)
            if None in answers:
                break   # order unreachable: count what is known, try again next tick
        return sum(1 for oid in self.source.accepted().values() if oid not in self._terminal)

    def _run(self, timeline: Timeline, clock: Clock) -> None:
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="chaos-pending") as pool:
            while not self._stop.is_set():
                count = self.sample(pool, lambda order_id: timeline.add(Settled(clock(), order_id)))
                timeline.add(Pending(clock(), count))   # stamped when known: polling takes a while under load
                self._stop.wait(self.interval_s)
