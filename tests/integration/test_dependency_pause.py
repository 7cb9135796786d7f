"""A consumer pauses while a dependency is down and resumes when its breaker lets a trial through: an outage
delays work instead of burning it into the retry and dead-letter topics. The dependency is a real redis-server
this test starts, stops and starts again."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile

import pytest
import redis

from faultline_kit.bootstrap import REDIS_ERRORS
from faultline_kit.kafka_bus import ConsumerLoop, ConsumerSpec, Dependency, RetryPolicy
from faultline_kit.resilience import BreakerPolicy, StatusBoard
from faultline_kit.topology import dead_letter_topic, retry_topic
from support.consumers import EnvelopeFunction
from support.stack import eventually

from .conftest import read_topic, running
from .test_consumer_delivery import ping

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DisposableRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="fl-redis-")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        eventually(lambda: _pings(client), 10, what="disposable redis up")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def disposable_redis():
    server = DisposableRedis()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def test_a_consumer_pauses_while_its_redis_is_down_and_catches_up_after(
        bootstrap, publisher, group_topics, disposable_redis):
    source, group = group_topics
    store = redis.Redis(port=disposable_redis.port, socket_timeout=0.5, socket_connect_timeout=0.2)
    board = StatusBoard(BreakerPolicy(fail_max=2, reset_s=1.0))
    dependency = Dependency(board.breaker("redis", counts=REDIS_ERRORS), REDIS_ERRORS)

    def remember(envelope):
        store.set(f"seen:{envelope.payload['n']}", 1)

    spec = ConsumerSpec(bootstrap, group, (source,), "it", RetryPolicy(in_process_attempts=2, backoff_max_s=0.01))
    loop = ConsumerLoop(spec, EnvelopeFunction(remember, "Ping"), publisher, dependencies=(dependency,))
    with running(loop), running(ConsumerLoop.for_retry_topic(loop)):
        for n in range(3):
            publisher.publish(source, ping(n, aggregate=f"a{n}"))
        eventually(lambda: loop.stats.processed == 3, 30, what="the first three handled")

        disposable_redis.stop()
        for n in range(3, 8):
            publisher.publish(source, ping(n, aggregate=f"a{n}"))
        eventually(lambda: loop.stats.paused, 30, what="the consumer paused")
        assert dependency.breaker.current_state == "open"

        disposable_redis.start()
        eventually(lambda: loop.stats.processed == 8 and not loop.stats.paused, 30, what="catching up")

    assert all(store.get(f"seen:{n}") for n in range(3, 8))
    assert loop.stats.dead_lettered == 0 and loop.stats.retried_via_topic == 0
    assert read_topic(bootstrap, dead_letter_topic(group), at_least=1, timeout_s=1) == []
    assert read_topic(bootstrap, retry_topic(group), at_least=1, timeout_s=1) == []
    transitions = [t["to"] for t in board.snapshot()["breakers"]["redis"]["transitions"]]
    assert transitions[:1] == ["open"] and transitions[-1] == "closed"
