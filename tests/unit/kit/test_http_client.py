"""The resilient client against a fake session: which requests retry, when the breaker opens, the budget."""
import threading

import pytest
import requests

from faultline_kit.http_client import ClientPolicy, DownstreamUnavailable, RetryBudget, ServiceClient


class Response:
    def __init__(self, status):
        self.status_code = status


class FakeSession:
    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def request(self, method, url, timeout, **kwargs):
        self.calls.append((method, url, kwargs.get("headers")))
        self.timeouts = getattr(self, "timeouts", []) + [timeout]
        outcome = self.outcomes.pop(0) if self.outcomes else self.last
        self.last = outcome
        if isinstance(outcome, Exception):
            raise outcome
        return Response(outcome)


POLICY = ClientPolicy(max_attempts=3, backoff_max_s=0.001, breaker_fail_max=3, breaker_reset_s=60)


def client(session, policy=POLICY):
    return ServiceClient("inventory", "http://inv", policy, session=session)


def test_a_get_is_retried_after_a_connection_error():
    session = FakeSession(requests.ConnectionError("refused"), 200)
    assert client(session).get("/products").status_code == 200
    assert len(session.calls) == 2


def test_a_post_without_idempotency_key_is_never_retried():
    session = FakeSession(503, 200)
    with pytest.raises(DownstreamUnavailable):
        client(session).post("/orders", json={})
    assert len(session.calls) == 1


def test_a_post_with_idempotency_key_is_retried_with_the_key():
    session = FakeSession(503, 201)
    assert client(session).post("/orders", idempotency_key="k-1", json={}).status_code == 201
    assert [c[2]["Idempotency-Key"] for c in session.calls] == ["k-1", "k-1"]


def test_client_errors_are_answers_not_failures():
    session = FakeSession(404)
    assert client(session).get("/products/X").status_code == 404
    assert len(session.calls) == 1


def test_the_breaker_opens_and_then_fails_fast_without_calling():
    session = FakeSession(500)
    c = client(session, ClientPolicy(max_attempts=1, breaker_fail_max=3, breaker_reset_s=60))
    for _ in range(3):
        with pytest.raises(DownstreamUnavailable):
            c.get("/x")
    calls_before = len(session.calls)
    with pytest.raises(DownstreamUnavailable) as exc:
        c.get("/x")
    assert exc.value.breaker_open and len(session.calls) == calls_before
    assert c.breaker_state() == "open"


def test_the_retry_budget_runs_dry_under_an_outage():
    budget = RetryBudget(ratio=0.2, floor=2)
    spent = sum(budget.try_spend() for _ in range(10))
    assert spent == 2
    for _ in range(5):
        budget.record_request()
    assert budget.try_spend() and not budget.try_spend()


def test_attempts_and_waits_fit_inside_the_deadline():
    session = FakeSession(requests.Timeout("slow"))
    c = client(session, ClientPolicy(timeout_s=2.0, max_attempts=5, deadline_s=0.3, backoff_max_s=5.0))
    with pytest.raises(DownstreamUnavailable):
        c.get("/x")
    assert all(t <= 0.3 for t in session.timeouts)  # each attempt gets only what is left of the deadline
    assert session.timeouts == sorted(session.timeouts, reverse=True)


def test_past_the_reset_timeout_only_one_trial_call_goes_through_at_a_time():
    trial_started, release = threading.Event(), threading.Event()

    class SlowTrial(FakeSession):
        def request(self, method, url, timeout, **kwargs):
            if not self.outcomes:  # the failures that opened the breaker are spent: this is the trial
                trial_started.set()
                release.wait(5)
                return Response(200)
            return super().request(method, url, timeout, **kwargs)

    c = client(SlowTrial(500, 500), ClientPolicy(max_attempts=1, breaker_fail_max=2, breaker_reset_s=0))
    for _ in range(2):
        with pytest.raises(DownstreamUnavailable):
            c.get("/x")
    trial = threading.Thread(target=c.get, args=("/x",))
    trial.start()
    try:
        assert trial_started.wait(5)
        with pytest.raises(DownstreamUnavailable) as exc:
            c.get("/x")
        assert exc.value.breaker_open
    finally:
        release.set()
        trial.join(5)
    assert c.breaker_state() == "closed"


def test_calls_through_one_breaker_run_side_by_side():
    from faultline_kit.resilience import StatusBoard

    inside, release = threading.Semaphore(0), threading.Event()
    breaker = StatusBoard().breaker("slow")

    def slow():
        inside.release()
        release.wait(5)
        return "ok"

    threads = [threading.Thread(target=breaker.call, args=(slow,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert all(inside.acquire(timeout=5) for _ in threads)  # all four are inside at once
    finally:
        release.set()
        for thread in threads:
            thread.join(5)
