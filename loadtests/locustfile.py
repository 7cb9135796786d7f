"""Faultline under load: shoppers browse the catalog, fill and edit carts, check out and follow their order.

Self-contained on purpose (the chart ships this one file in a ConfigMap): it needs Locust and nothing from services/.

Hosts: Locust's own `--host` is the cart (the shop's front door); `--inventory-host` and `--order-host` (or
FAULTLINE_INVENTORY_URL / FAULTLINE_ORDER_URL) name the other two. Left empty, they are derived from the cart's
URL by replacing "cart" in its host name (in-cluster Services: faultline-cart -> faultline-inventory).

Besides the HTTP requests, every checkout the cart accepts (202) is followed until the order is terminal (in the
background: the shopper goes on shopping meanwhile, and a stopping run waits for the orders it follows), and that
time, accepted -> CONFIRMED | REJECTED as the shopper sees it, is reported as a request of type SAGA, so the UI, the
CSV and the HTML report show it beside the HTTP latencies. A REJECTED order (out of stock) is a correct outcome and
counts as success; an order still PENDING after `--saga-timeout` seconds is a SAGA failure.

A small share of requests is deliberately bad (unknown SKU, quantity out of range, no Idempotency-Key, unknown
order): each succeeds when the service answers the expected 4xx with a JSON problem body, and fails otherwise.

`--restock N` (on by default in locust.conf) sets every SKU's available stock to at least N before the run, through
inventory's admin API (`--admin-token`, FAULTLINE_ADMIN_TOKEN), so a run measures the happy path instead of the
catalog running dry; `--restock 0` leaves stock alone and lets orders beyond stock come back REJECTED.
`--min-checkouts N` makes the run exit 1 unless at least N sagas reached a terminal state (the CI smoke gate).
`--events-file PATH` appends one JSON line per request and per saga (seconds since the epoch), for tools that
plot or judge a run over time (the chaos runner).
"""
from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import gevent
import requests
from gevent.pool import Group
from locust import HttpUser, events, tag, task
from locust.runners import MasterRunner, WorkerRunner
from locust.stats import CSV_STATS_INTERVAL_SEC, StatsEntry

log = logging.getLogger("faultline.load")

SAGA = "SAGA"
TERMINAL = ("CONFIRMED", "REJECTED", "CANCELLED")
FALLBACK_SKUS = [f"FL-{n:03d}" for n in range(1, 25)]
UNKNOWN_SKU = "FL-NOPE"
FAST_POLL_S = 0.05
FAST_POLL_FOR_S = 1.0
SLOW_POLL_MAX_S = 2.0


# --- options ----------------------------------------------------------------------------------------------------
@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    group = parser.add_argument_group("Faultline")
    group.add_argument("--inventory-host", default="", env_var="FAULTLINE_INVENTORY_URL",
                       help="inventory's base URL (default: the cart host with 'cart' -> 'inventory')")
    group.add_argument("--order-host", default="", env_var="FAULTLINE_ORDER_URL",
                       help="order's base URL (default: the cart host with 'cart' -> 'order')")
    group.add_argument("--think-min", type=float, default=1.0, help="shortest think time between steps, s")
    group.add_argument("--think-max", type=float, default=3.0, help="longest think time between steps, s")
    group.add_argument("--saga-timeout", type=float, default=60.0,
                       help="seconds a followed order may stay PENDING before its saga counts as failed")
    group.add_argument("--follow-poll", type=float, default=FAST_POLL_S,
                       help="poll interval of a followed order in its first second (the saga's resolution); a "
                            "shopper's page would poll about once a second")
    group.add_argument("--saga-poll", type=float, default=0.25,
                       help="first poll interval of a followed order after its first second (50 ms before); "
                            "each later one is 1.5 times longer, up to 2 s")
    group.add_argument("--cancel-share", type=float, default=0.05,
                       help="share of CONFIRMED orders the shopper cancels right away")
    group.add_argument("--retries", type=int, default=0,
                       help="retries of a cart PUT or checkout that got a 5xx or no answer (same Idempotency-Key), "
                            "with backoff and Retry-After honoured up to 1 s: a well-behaved client under chaos")
    group.add_argument("--restock", type=int, default=0,
                       help="before the run, raise every SKU's available stock to at least this (0: leave it)")
    group.add_argument("--admin-token", default="local-admin-token", env_var="FAULTLINE_ADMIN_TOKEN",
                       help="bearer token of inventory's admin API (for --restock)")
    group.add_argument("--min-checkouts", type=int, default=0,
                       help="exit 1 unless at least this many sagas reached a terminal state")
    group.add_argument("--events-file", default="", help="append one JSON line per request and saga to this file")
    group.add_argument("--until-checkouts", type=int, default=0,
                       help="end the run once this many sagas reached a terminal state (--run-time stays the deadline)")
    group.add_argument("--until-bad-inputs", type=int, default=0,
                       help="end the run once this many deliberately bad requests were made (with --until-checkouts: "
                            "once both hold)")


class Options:
    """The parsed options with their defaults when Locust runs without a command line (library use)."""

    def __init__(self, environment) -> None:
        parsed = getattr(environment, "parsed_options", None)
        host = (environment.host or getattr(parsed, "host", "") or "").rstrip("/")
        self.cart = host
        self.inventory = (getattr(parsed, "inventory_host", "") or _sibling(host, "inventory")).rstrip("/")
        self.order = (getattr(parsed, "order_host", "") or _sibling(host, "order")).rstrip("/")
        self.think = (getattr(parsed, "think_min", 1.0), getattr(parsed, "think_max", 3.0))
        self.saga_timeout = getattr(parsed, "saga_timeout", 60.0)
        self.saga_poll = getattr(parsed, "saga_poll", 0.25)
        self.follow_poll = getattr(parsed, "follow_poll", FAST_POLL_S)
        self.cancel_share = getattr(parsed, "cancel_share", 0.05)
        self.retries = getattr(parsed, "retries", 0)
        self.restock = getattr(parsed, "restock", 0)
        self.admin_token = getattr(parsed, "admin_token", "local-admin-token")
        self.min_checkouts = getattr(parsed, "min_checkouts", 0)
        self.events_file = getattr(parsed, "events_file", "")
        self.until = (getattr(parsed, "until_checkouts", 0), getattr(parsed, "until_bad_inputs", 0))


def _sibling(cart_url: str, service: str) -> str:
    """faultline-cart:8080 -> faultline-<service>:8080; a host without 'cart' in its name cannot be guessed."""
    parts = urlsplit(cart_url)
    if "cart" not in (parts.hostname or ""):
        return ""
    return urlunsplit(parts._replace(netloc=parts.netloc.replace("cart", service, 1)))


# --- the events file --------------------------------------------------------------------------------------------
class EventLog:
    """One JSON object per line; written from greenlets of one process, so a lock and line buffering suffice."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "a", buffering=1, encoding="utf-8") if path else None
        self._lock = threading.Lock()

    def write(self, **fields) -> None:
        if self._file is not None:
            line = json.dumps(fields, separators=(",", ":"))
            with self._lock:
                self._file.write(line + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


_event_log = EventLog("")
# Accepted orders are followed in greenlets of their own, so a shopper goes on shopping at its pace while an order
# is pending (a Kafka outage must not stall the load); the run waits for them when it stops.
_followers = Group()


@events.init.add_listener
def _on_init(environment, **_kwargs) -> None:
    global _event_log
    options = Options(environment)
    if not options.inventory or not options.order:
        raise SystemExit("faultline load: cannot derive inventory/order URLs from the host "
                         f"{options.cart!r}: pass --inventory-host and --order-host")
    if options.restock > 0 and not isinstance(environment.runner, WorkerRunner):
        restock(options)   # once, before any user starts (a UI run restocks at launch)
    if not isinstance(environment.runner, MasterRunner):
        _event_log = EventLog(options.events_file)   # the processes that make requests write the lines


@events.request.add_listener
def _log_request(request_type, name, response_time, response_length, response=None, exception=None,
                 start_time=None, **_kwargs) -> None:
    status = getattr(response, "status_code", None) if response is not None else None
    _event_log.write(kind="request", t=start_time or time.time(), type=request_type, name=name,
                     ms=round(response_time or 0.0, 2), status=status, ok=exception is None,
                     error=None if exception is None else str(exception)[:200])


@events.test_start.add_listener
def _end_when_counted(environment, **_kwargs) -> None:
    """With --until-checkouts / --until-bad-inputs, end the run as soon as it counted that much (a run that must
    show something then never depends on how much a busy machine gets done in a fixed --run-time)."""
    checkouts, bad_inputs = Options(environment).until
    if isinstance(environment.runner, WorkerRunner) or not (checkouts or bad_inputs):
        return

    def counted() -> bool:
        bad = sum(entry.num_requests for (name, _), entry in environment.stats.entries.items()
                  if name.startswith("bad input:"))
        return saga_counts(environment.stats)["completed"] >= checkouts and bad >= bad_inputs

    def watch() -> None:
        while not counted():
            gevent.sleep(0.5)
        log.info("faultline load: counted %d checkouts and %d bad inputs, ending the run", checkouts, bad_inputs)
        environment.runner.quit()

    gevent.spawn(watch)


@events.test_stop.add_listener
def _finish_following(environment, **_kwargs) -> None:
    if isinstance(environment.runner, MasterRunner):
        return
    if _followers and not _followers.join(timeout=Options(environment).saga_timeout + 5):
        log.warning("gave up on %d orders still being followed", len(_followers))
        _followers.kill(block=True)
    if getattr(environment.parsed_options, "csv_prefix", None):
        # Locust rewrites its CSV files once a second and does not write them again on exit: give it one more
        # turn, so the sagas that finished just now are in the CSV as they are in the summary and the HTML report.
        gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.5)


@events.quitting.add_listener
def _close_event_log(environment, **_kwargs) -> None:
    _event_log.close()


# --- restock before the run -------------------------------------------------------------------------------------
def restock(options: Options) -> int:
    """Raise every SKU's available stock to at least `options.restock`; answer how many SKUs it raised."""
    headers = {"Authorization": f"Bearer {options.admin_token}"}
    raised = 0
    with requests.Session() as session:
        try:
            products = session.get(f"{options.inventory}/products", timeout=10).json()["products"]
        except requests.RequestException as error:
            raise SystemExit(f"faultline load: cannot read the catalog at {options.inventory} ({error}); "
                             "is the stack up (make up)?") from None
        for product in products:
            if product["available"] >= options.restock:
                continue
            response = session.put(f"{options.inventory}/products/{product['sku']}/stock", headers=headers,
                                   json={"available": options.restock}, timeout=10)
            if response.status_code != 200:
                raise SystemExit(f"faultline load: restocking {product['sku']} answered {response.status_code} "
                                 f"{response.text[:200]} (wrong --admin-token? --restock 0 skips this)")
            raised += 1
    log.info("restocked %d of %d SKUs to %d available", raised, len(products), options.restock)
    return raised


# --- the smoke gate's count of completed checkouts ---------------------------------------------------------------
def saga_counts(stats) -> dict[str, int]:
    """Completed sagas by outcome, from the (aggregated, on a master) SAGA entries of the stats."""
    counts = {"completed": 0, "failed": 0}
    for (name, method), entry in stats.entries.items():
        if method != SAGA:
            continue
        done = entry.num_requests - entry.num_failures
        if done:
            outcome = name.rsplit(" ", 1)[-1]
            counts[outcome] = counts.get(outcome, 0) + done
        counts["completed"] += done
        counts["failed"] += entry.num_failures
    return counts


def saga_totals(stats) -> StatsEntry:
    """Every completed saga in one entry, whatever its outcome (for the closing percentiles)."""
    total = StatsEntry(stats, "all outcomes", SAGA)
    for (name, method), entry in stats.entries.items():
        if method == SAGA:
            total.extend(entry)
    return total


@events.quitting.add_listener
def _judge(environment, **_kwargs) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    options = Options(environment)
    counts = saga_counts(environment.stats)
    total = environment.stats.total
    saga = saga_totals(environment.stats)
    p50, p95 = saga.get_response_time_percentile(0.5), saga.get_response_time_percentile(0.95)
    log.info("faultline load: %d requests, %d failures; %d checkouts completed %s, %d sagas failed; "
             "saga p50 %s ms, p95 %s ms", total.num_requests, total.num_failures,
             counts["completed"], {k: v for k, v in counts.items() if k not in ("completed", "failed")},
             counts["failed"], p50, p95)
    if options.min_checkouts and counts["completed"] < options.min_checkouts:
        log.error("faultline load: only %d checkouts completed, fewer than --min-checkouts %d",
                  counts["completed"], options.min_checkouts)
        environment.process_exit_code = 1


# --- the shopper ------------------------------------------------------------------------------------------------
class ProblemExpected(Exception):
    """A deliberately bad request did not get the 4xx problem it deserves."""


class SagaTimeout(Exception):
    """An accepted order was still not terminal when the shopper gave up following it."""


class Shopper(HttpUser):
    """One visitor: lands on the catalog, then picks a journey per iteration, thinking between steps."""

    def on_start(self) -> None:
        self.options = Options(self.environment)
        self.cart_id = self._new_cart()
        self.in_cart: set[str] = set()
        self.skus = self._catalog() or FALLBACK_SKUS

    def wait_time(self) -> float:
        low, high = self.options.think
        return random.uniform(low, high)

    # --- journeys (weights: what share of iterations does what) ---------------------------------------------------
    @task(3)
    def browse_catalog(self) -> None:
        self._catalog()

    @task(3)
    def view_product(self) -> None:
        self.client.get(f"{self.options.inventory}/products/{random.choice(self.skus)}",
                        name="inventory /products/{sku}")

    @task(2)
    def edit_cart(self) -> None:
        """Add an item, look at the cart, sometimes take something out again."""
        self._add(random.choice(self.skus))
        self.wait()
        self.client.get(f"/carts/{self.cart_id}", name="cart /carts/{id}")
        if len(self.in_cart) > 1 and random.random() < 0.5:
            sku = random.choice(sorted(self.in_cart))
            self.client.delete(f"/carts/{self.cart_id}/items/{sku}", name="cart /carts/{id}/items/{sku}")
            self.in_cart.discard(sku)

    @tag("checkout")   # `--tags checkout` runs this journey alone (make bench: checkout throughput)
    @task(5)
    def checkout(self) -> None:
        """Fill the cart if it is empty, check out with an Idempotency-Key, follow the order until terminal (in a
        greenlet of its own: the shopper goes on meanwhile)."""
        if not self.in_cart:
            for sku in random.sample(self.skus, k=random.randint(1, 2)):
                self._add(sku)
            self.wait()
        key = str(uuid.uuid4())
        started = time.time()
        response, attempts = self._retried("POST", f"/carts/{self.cart_id}/checkout", "cart /carts/{id}/checkout",
                                           json={"email": f"load-{key[:8]}@example.com"},
                                           headers={"Idempotency-Key": key})
        order_id = response.json().get("order_id") if response.status_code == 202 else None
        _event_log.write(kind="flow", t=started, key=key, ok=order_id is not None, order_id=order_id,
                         attempts=attempts, status=response.status_code or "error")
        if order_id is None:
            if 200 <= response.status_code < 300:   # a 2xx other than 202 is not what checkout promises
                self.environment.events.request.fire(
                    request_type="POST", name="cart /carts/{id}/checkout (not 202)", response_time=0,
                    response_length=0, exception=ProblemExpected(f"checkout answered {response.status_code}"))
            return
        accepted = time.time()
        self.cart_id, self.in_cart = self._new_cart(), set()
        _followers.spawn(self._follow, order_id, accepted)

    def _retried(self, method: str, url: str, name: str, **kwargs):
        """Send; on a 5xx or no answer, send again (same body, same Idempotency-Key) up to --retries times.
        Every attempt is its own request in the stats, so a retried failure still shows."""
        attempt = 0
        while True:
            attempt += 1
            response = self.client.request(method, url, name=name, **kwargs)
            retryable = response.status_code == 0 or response.status_code >= 500
            if not retryable or attempt > self.options.retries:
                return response, attempt
            wait = 0.3 * 2 ** (attempt - 1)
            retry_after = response.headers.get("Retry-After", "") if response.headers else ""
            if retry_after.isdigit():
                wait = max(wait, min(float(retry_after), 1.0))
            time.sleep(wait * random.uniform(0.5, 1.0))

    @task(1)
    def bad_input(self) -> None:
        random.choice([self._unknown_sku, self._quantity_out_of_range, self._checkout_without_key,
                       self._unknown_order])()

    # --- steps ----------------------------------------------------------------------------------------------------
    @staticmethod
    def _new_cart() -> str:
        return f"load-{uuid.uuid4().hex[:16]}"

    def _catalog(self) -> list[str]:
        with self.client.get(f"{self.options.inventory}/products", name="inventory /products",
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"catalog answered {response.status_code}")
                return []
            return [p["sku"] for p in response.json()["products"]]

    def _add(self, sku: str) -> None:
        response, _ = self._retried("PUT", f"/carts/{self.cart_id}/items/{sku}", "cart /carts/{id}/items/{sku}",
                                    json={"quantity": random.randint(1, 3)})
        if response.status_code == 200:
            self.in_cart.add(sku)

    def _follow(self, order_id: str, accepted: float) -> None:
        """Poll the order until it is terminal; report accepted -> terminal as one SAGA request."""
        deadline = accepted + self.options.saga_timeout
        status = "PENDING"
        slow_polls = 0
        while time.time() < deadline:
            # Every --follow-poll (50 ms) for the first second (a healthy saga takes a few hundred ms: the poll step is
            # the measurement's resolution), then from --saga-poll seconds growing by half each time up to 2 s, so that
            # an outage with hundreds of pending orders does not turn the followers into a polling storm.
            if time.time() - accepted < FAST_POLL_FOR_S:
                time.sleep(self.options.follow_poll)
            else:
                time.sleep(min(self.options.saga_poll * 1.5 ** slow_polls, SLOW_POLL_MAX_S))
                slow_polls += 1
            with self.client.get(f"{self.options.order}/orders/{order_id}", name="order /orders/{id} (follow)",
                                 catch_response=True) as response:
                if response.status_code == 200:
                    status = response.json()["status"]
                elif response.status_code == 404:
                    response.success()   # accepted, not yet visible on this replica: keep following
                if status in TERMINAL:
                    break
        elapsed_ms = (time.time() - accepted) * 1000
        if status not in TERMINAL:
            self._saga(f"checkout -> {status}", elapsed_ms, accepted, order_id,
                       SagaTimeout(f"order {order_id} still {status} after {self.options.saga_timeout:g} s"))
            return
        self._saga(f"checkout -> {status}", elapsed_ms, accepted, order_id)
        if status == "CONFIRMED" and random.random() < self.options.cancel_share:
            time.sleep(self.wait_time())
            self.client.post(f"{self.options.order}/orders/{order_id}/cancel", name="order /orders/{id}/cancel")

    def _saga(self, name: str, elapsed_ms: float, started: float, order_id: str,
              exception: Exception | None = None) -> None:
        self.environment.events.request.fire(request_type=SAGA, name=name, response_time=elapsed_ms,
                                             response_length=0, exception=exception, start_time=started,
                                             context={"order_id": order_id}, url=f"/orders/{order_id}")

    # --- deliberately bad input: success means the right 4xx with a problem body ---------------------------------
    def _expect(self, method: str, url: str, status: int, name: str, **kwargs) -> None:
        with self.client.request(method, url, name=f"bad input: {name} ({status})", catch_response=True,
                                 **kwargs) as response:
            body = _json(response)
            if response.status_code == status and isinstance(body, dict) and body.get("status") == status:
                response.success()
            else:
                response.failure(ProblemExpected(f"expected a {status} problem, got {response.status_code}: "
                                                 f"{response.text[:200]}"))

    def _unknown_sku(self) -> None:
        self._expect("PUT", f"/carts/{self.cart_id}/items/{UNKNOWN_SKU}", 422, "unknown SKU", json={"quantity": 1})

    def _quantity_out_of_range(self) -> None:
        self._expect("PUT", f"/carts/{self.cart_id}/items/{random.choice(self.skus)}", 422, "quantity out of range",
                     json={"quantity": random.choice([-1, 0, 1001])})

    def _checkout_without_key(self) -> None:
        self._expect("POST", f"/carts/{self.cart_id}/checkout", 400, "checkout without Idempotency-Key",
                     json={"email": "load@example.com"})

    def _unknown_order(self) -> None:
        self._expect("GET", f"{self.options.order}/orders/{uuid.uuid4()}", 404, "unknown order")


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None
