"""Circuit breakers with a visible history, and the status board `/debug/resilience` and heartbeats read."""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import pybreaker

from .telemetry import add_event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BreakerPolicy:
    fail_max: int = 5
    reset_s: float = 10.0


class _TransitionLog(pybreaker.CircuitBreakerListener):
    """Logs every transition and keeps the last few for /debug/resilience."""

    def __init__(self, keep: int = 20) -> None:
        self.transitions: deque[dict[str, str]] = deque(maxlen=keep)
        self.on_change: list[Callable[[str, str, str], None]] = []

    def state_change(self, cb, old_state, new_state) -> None:
        old = getattr(old_state, "name", str(old_state))
        new = getattr(new_state, "name", str(new_state))
        self.transitions.append({"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                                 "from": old, "to": new})
        log.warning("circuit breaker %s: %s -> %s", cb.name, old, new)
        add_event("circuit breaker state change", {"breaker": cb.name, "from": old, "to": new})
        for callback in self.on_change:
            callback(cb.name, old, new)


class ConcurrentCircuitBreaker(pybreaker.CircuitBreaker):
    """pybreaker's states, counters and listeners, without its one flaw for a threaded server: `call` holds the
    breaker's lock for the whole guarded call, so every call through one breaker runs one at a time (a 500 ms
    downstream caps a 16-thread instance at two calls a second). Here the lock is held only to admit the call
    and to record its outcome."""

    def call(self, func, *args, **kwargs):
        with self.guarding(func, *args, **kwargs):
            return func(*args, **kwargs)

    @contextmanager
    def guarding(self, func=None, *args, **kwargs):
        """The guarded call as a block: refused (CircuitBreakerError) while open, its outcome counted after. Several
        breakers guard one call by nesting blocks, without a wrapper frame per breaker."""
        with self._lock:
            state = self._admit(func, *args, **kwargs)
        try:
            yield
        except BaseException as exc:
            with self._lock:
                state._handle_error(exc)  # noqa: SLF001 - re-raises exc, or CircuitBreakerError if it trips
            raise
        with self._lock:
            state._handle_success()  # noqa: SLF001

    def _admit(self, func, *args, **kwargs):
        if self.current_state == pybreaker.STATE_OPEN:
            if not allows_trial(self):
                raise pybreaker.CircuitBreakerError("Timeout not elapsed yet, circuit breaker still open")
            self.half_open()
        state = self.state
        for listener in self.listeners:
            listener.before_call(self, func, *args, **kwargs)
        return state


def allows_trial(breaker: pybreaker.CircuitBreaker) -> bool:
    """True unless the breaker is open and its reset timeout has not passed (then a call would be refused)."""
    if breaker.current_state != pybreaker.STATE_OPEN:
        return True
    opened_at = breaker._state_storage.opened_at  # noqa: SLF001 - pybreaker exposes no public accessor
    if opened_at is None:
        return True
    return (datetime.now(timezone.utc) - opened_at).total_seconds() >= breaker.reset_timeout


class StatusBoard:
    """Named breakers plus named status providers (consumers, budgets, outbox...) of one instance."""

    def __init__(self, policy: BreakerPolicy = BreakerPolicy()) -> None:
        self.policy = policy
        self.started_at = time.time()
        self._breakers: dict[str, tuple[ConcurrentCircuitBreaker, _TransitionLog]] = {}
        self._providers: dict[str, Callable[[], Any]] = {}
        self._lock = threading.Lock()
        self.on_transition: list[Callable[[str, str, str], None]] = []

    def breaker(self, name: str, counts: Iterable[type[BaseException]] | None = None,
                policy: BreakerPolicy | None = None) -> ConcurrentCircuitBreaker:
        """The breaker for one dependency; with `counts`, only those exception types count as failures."""
        with self._lock:
            if name in self._breakers:
                return self._breakers[name][0]
            policy = policy or self.policy
            transitions = _TransitionLog()
            transitions.on_change.append(lambda *args: [cb(*args) for cb in self.on_transition])
            exclude = []
            if counts is not None:
                counted = tuple(counts)
                exclude = [lambda exc, counted=counted: not isinstance(exc, counted)]
            breaker = ConcurrentCircuitBreaker(fail_max=policy.fail_max, reset_timeout=policy.reset_s, name=name,
                                               exclude=exclude, listeners=[transitions])
            self._breakers[name] = (breaker, transitions)
            return breaker

    def breaker_states(self) -> dict[str, str]:
        return {name: str(b.current_state) for name, (b, _) in self._breakers.items()}

    def provide(self, name: str, provider: Callable[[], Any]) -> None:
        self._providers[name] = provider

    def read(self, name: str) -> Any:
        """One provider's status, or None when nothing provides it."""
        provider = self._providers.get(name)
        return provider() if provider else None

    def snapshot(self) -> dict[str, Any]:
        breakers = {
            name: {"state": str(b.current_state), "fail_counter": b.fail_counter, "fail_max": b.fail_max,
                   "reset_timeout_s": b.reset_timeout, "transitions": list(t.transitions)}
            for name, (b, t) in self._breakers.items()
        }
        body: dict[str, Any] = {"breakers": breakers}
        for name, provider in self._providers.items():
            try:
                body[name] = provider()
            except Exception as exc:  # noqa: BLE001 - a broken provider shows as an error, never a 500
                body[name] = {"error": repr(exc)}
        return body
