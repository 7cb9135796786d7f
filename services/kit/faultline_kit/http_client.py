"""The one way a service calls another over HTTP: timeout, a circuit breaker per downstream, bounded retries.

Retries happen only for idempotent methods or requests carrying an Idempotency-Key, with full-jitter exponential
backoff, an overall deadline and a retry budget; nothing retries into an open breaker.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pybreaker
import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_random_exponential,
)

from .resilience import BreakerPolicy, StatusBoard
from .telemetry import add_event

if TYPE_CHECKING:
    from .settings import KitSettings

log = logging.getLogger(__name__)

MIN_ATTEMPT_S = 0.1
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class DownstreamUnavailable(RuntimeError):
    """The downstream did not answer usefully (connection error, timeout, 5xx, or its breaker is open)."""

    def __init__(self, downstream: str, reason: str, breaker_open: bool = False) -> None:
        super().__init__(f"{downstream} unavailable: {reason}")
        self.downstream = downstream
        self.reason = reason
        self.breaker_open = breaker_open


class _TransientFailure(Exception):
    """A failure worth counting against the breaker and, when allowed, retrying."""


@dataclass(frozen=True)
class ClientPolicy:
    timeout_s: float = 2.0
    max_attempts: int = 3
    deadline_s: float = 5.0
    backoff_max_s: float = 1.0
    breaker_fail_max: int = 5
    breaker_reset_s: float = 10.0
    retry_budget_ratio: float = 0.2
    retry_budget_min_tokens: float = 3.0


    @classmethod
    def from_settings(cls, kit: "KitSettings") -> "ClientPolicy":
        return cls(timeout_s=kit.http_timeout_s, max_attempts=kit.retry_max_attempts, deadline_s=kit.retry_deadline_s,
                   breaker_fail_max=kit.breaker_fail_max, breaker_reset_s=kit.breaker_reset_s,
                   retry_budget_ratio=kit.retry_budget_ratio)


class RetryBudget:
    """Token bucket: each request earns `ratio` of a retry, each retry spends one; caps retries under outages."""

    def __init__(self, ratio: float, floor: float) -> None:
        self._ratio = ratio
        self._capacity = max(floor, 10.0)
        self._tokens = floor
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0
        self.refused = 0

    def record_request(self) -> None:
        with self._lock:
            self.requests += 1
            self._tokens = min(self._capacity, self._tokens + self._ratio)

    def try_spend(self) -> bool:
        with self._lock:
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                self.retries += 1
                return True
            self.refused += 1
            return False

    def describe(self) -> dict[str, float]:
        with self._lock:
            return {"tokens": round(self._tokens, 2), "ratio": self._ratio, "requests": self.requests,
                    "retries": self.retries, "refused": self.refused}


class ServiceClient:
    """HTTP client for one downstream service."""

    def __init__(self, downstream: str, base_url: str, policy: ClientPolicy = ClientPolicy(),
                 session: requests.Session | None = None, board: StatusBoard | None = None) -> None:
        self.downstream = downstream
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.session = session or requests.Session()
        board = board or StatusBoard()
        self.breaker = board.breaker(downstream, counts=(_TransientFailure,),
                                     policy=BreakerPolicy(policy.breaker_fail_max, policy.breaker_reset_s))
        self.budget = RetryBudget(policy.retry_budget_ratio, policy.retry_budget_min_tokens)
        self._trial = threading.Lock()
        board.provide(f"client:{downstream}", self.describe)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, idempotency_key: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self.request("POST", path, headers=headers, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Answer the downstream's response (2xx-4xx) or raise DownstreamUnavailable.

        Every attempt and every wait fits inside the overall deadline: an attempt's timeout is cut to what is
        left, and no retry starts with less than MIN_ATTEMPT_S to go.
        """
        method = method.upper()
        headers = kwargs.get("headers") or {}
        retryable = method in IDEMPOTENT_METHODS or "Idempotency-Key" in headers
        self.budget.record_request()
        deadline = time.monotonic() + self.policy.deadline_s
        jitter = wait_random_exponential(multiplier=0.1, max=self.policy.backoff_max_s)

        def remaining() -> float:
            return deadline - time.monotonic()

        def wait(state: RetryCallState) -> float:
            return max(0.0, min(jitter(state), remaining() - MIN_ATTEMPT_S))

        def give_up_or_spend(state: RetryCallState) -> bool:
            if not retryable or state.attempt_number >= self.policy.max_attempts:
                return True
            if remaining() < 2 * MIN_ATTEMPT_S:
                return True
            if not self.budget.try_spend():
                log.warning("retry budget for %s exhausted; not retrying", self.downstream)
                return True
            return False

        retrying = Retrying(
            stop=give_up_or_spend,
            wait=wait,
            retry=retry_if_exception_type(_TransientFailure),
            before_sleep=lambda state: self._on_retry(method, path, state),
            reraise=True,
        )
        try:
            return retrying(lambda: self._attempt(method, path, kwargs, min(self.policy.timeout_s, remaining())))
        except pybreaker.CircuitBreakerError as exc:
            raise DownstreamUnavailable(self.downstream, f"circuit breaker open ({exc})", breaker_open=True) from exc
        except _TransientFailure as exc:
            raise DownstreamUnavailable(self.downstream, str(exc)) from exc

    def _on_retry(self, method: str, path: str, state: RetryCallState) -> None:
        wait_s = state.next_action.sleep if state.next_action else 0.0
        log.info("retrying %s %s%s (attempt %d failed: %s; waiting %.2fs)", method, self.downstream, path,
                 state.attempt_number, state.outcome.exception(), wait_s)
        add_event("retry", {"downstream": self.downstream, "attempt": state.attempt_number,
                            "wait_s": round(wait_s, 3), "error": str(state.outcome.exception())})

    def _attempt(self, method: str, path: str, kwargs: dict[str, Any], timeout_s: float) -> requests.Response:
        """One call through the breaker. Past an open breaker's reset timeout, one trial at a time: the others
        fail fast instead of piling onto a downstream that may still be down."""
        if self.breaker.current_state == pybreaker.STATE_CLOSED:
            return self.breaker.call(self._send, method, path, kwargs, timeout_s)
        if not self._trial.acquire(blocking=False):
            raise pybreaker.CircuitBreakerError("a trial call is already in flight")
        try:
            return self.breaker.call(self._send, method, path, kwargs, timeout_s)
        finally:
            self._trial.release()

    def _send(self, method: str, path: str, kwargs: dict[str, Any], timeout_s: float) -> requests.Response:
        try:
            response = self.session.request(method, self.base_url + path, timeout=timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise _TransientFailure(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _TransientFailure(f"HTTP {response.status_code} from {method} {path}")
        return response

    def breaker_state(self) -> str:
        return str(self.breaker.current_state)

    def describe(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "breaker": self.breaker_state(), "retry_budget": self.budget.describe(),
                "timeout_s": self.policy.timeout_s, "max_attempts": self.policy.max_attempts,
                "deadline_s": self.policy.deadline_s}
