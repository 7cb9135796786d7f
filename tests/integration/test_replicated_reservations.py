"""Inventory's reservations are CP: with a replica required (the HA profile's WAIT 1) a reservation is answered only
once a real Redis replica holds it, and refused (ReplicationUnconfirmed, a Redis connection error to the consumer)
while no replica acknowledges; a later attempt confirms the same decision without deciding twice. A primary and a
replica this test starts and stops itself."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import redis

from faultline_kit.redis_store import ReplicationUnconfirmed
from faultline_kit.bootstrap import REDIS_ERRORS
from inventory_service.adapters.stock_store import StockStore
from inventory_service.domain import Line, Product, ReservationStatus
from support.stack import eventually

from .test_dependency_pause import DisposableRedis

pytestmark = pytest.mark.integration


class DisposableReplica(DisposableRedis):
    def __init__(self, primary_port: int) -> None:
        super().__init__()
        self.primary_port = primary_port

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--replicaof", "127.0.0.1", str(self.primary_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def replica_online(client: redis.Redis) -> bool:
    """A replica past its first sync: WAIT counts only those."""
    slave = client.info("replication").get("slave0") or {}
    return isinstance(slave, dict) and slave.get("state") == "online"


@pytest.fixture
def primary_and_replica():
    primary = DisposableRedis()
    primary.start()
    replica = DisposableReplica(primary.port)
    replica.start()
    client = redis.Redis(port=primary.port, decode_responses=True, socket_timeout=3)
    eventually(lambda: replica_online(client), 20, what="replica online")
    yield primary, replica, client
    for server in (replica, primary):
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def test_a_reservation_returns_once_a_replica_holds_it(primary_and_replica):
    primary, replica, client = primary_and_replica
    store = StockStore(client, wait_replicas=1, wait_timeout_ms=2000)
    store.seed([Product("SKU-1", "one", 100, 5, 5)])
    reservation = store.reserve("order-1", (Line("SKU-1", 2),))
    assert reservation.status is ReservationStatus.RESERVED
    on_replica = StockStore(redis.Redis(port=replica.port, decode_responses=True))
    assert on_replica.reservation("order-1") == reservation
    assert on_replica.product("SKU-1").available == 3


def test_without_an_acknowledging_replica_a_reservation_is_refused_then_confirmed_once(primary_and_replica):
    primary, replica, client = primary_and_replica
    store = StockStore(client, wait_replicas=1, wait_timeout_ms=300)
    store.seed([Product("SKU-1", "one", 100, 5, 5)])
    replica.stop()
    eventually(lambda: client.info("replication").get("connected_slaves") == 0, 20, what="replica gone")
    with pytest.raises(ReplicationUnconfirmed) as refused:
        store.reserve("order-2", (Line("SKU-1", 2),))
    assert isinstance(refused.value, REDIS_ERRORS)     # the consumer rewinds and pauses; nothing dead-letters
    replica.start()
    eventually(lambda: replica_online(client), 20, what="replica back online")
    again = store.reserve("order-2", (Line("SKU-1", 2),))
    assert again.status is ReservationStatus.RESERVED
    assert store.product("SKU-1").available == 3     # decided once: the retry confirmed, it did not reserve twice


def test_without_a_required_replica_nothing_waits(primary_and_replica):
    primary, replica, client = primary_and_replica
    replica.stop()
    store = StockStore(client)
    store.seed([Product("SKU-1", "one", 100, 5, 5)])
    assert store.reserve("order-3", (Line("SKU-1", 1),)).status is ReservationStatus.RESERVED
