"""The control room's replication panel: rendered from one round's view, pure (no Kafka, no Redis)."""
from __future__ import annotations

import dataclasses

from console_service.board import build_view
from console_service.entrypoints.web import fragment_renderer
from console_service.model import History

from .fakes import observation

HA = {
    "kafka": {"brokers": [1, 2, 3], "controller": 2, "epoch": 7, "voters": [1, 2, 3], "error": None,
              "partitions": [
                  {"topic": "orders", "partition": 0, "leader": 3, "replicas": [2, 3, 1], "isr": [3, 1],
                   "under_replicated": True},
                  {"topic": "orders", "partition": 1, "leader": 1, "replicas": [3, 1, 2], "isr": [3, 1, 2],
                   "under_replicated": False}]},
    "redis": {"primary": "127.0.0.1:16380", "agreeing": 3, "sentinels": 3, "error": None,
              "replicas": [{"address": "127.0.0.1:16379", "state": "online", "lag_bytes": 0, "lag_s": 1}]},
}


def panel(replication) -> str:
    from flask import Flask

    flask = Flask("console_service", template_folder=str(_templates()))
    obs = dataclasses.replace(observation([]), replication=replication)
    return fragment_renderer(flask)(build_view(obs, History(), []))["replication"]


def _templates():
    from pathlib import Path

    import console_service

    return Path(console_service.__file__).parent / "templates"


def test_the_panel_names_the_brokers_the_controller_each_isr_and_the_redis_primary_with_its_replicas_lag():
    html = panel(HA)
    assert 'data-ha="brokers">1,2,3<' in html and 'data-ha="controller">node 2 (epoch 7)<' in html
    assert 'data-partition="orders-0" class="under-replicated"' in html and "<td data-isr>3,1</td>" in html
    assert 'data-partition="orders-1">' in html
    assert 'data-ha="primary">127.0.0.1:16380<' in html and 'data-ha="sentinels">3 of 3<' in html
    assert 'data-replica="127.0.0.1:16379"' in html and "<td data-lag>0</td>" in html


def test_the_default_profile_says_nothing_is_replicated():
    assert 'id="replication-none"' in panel(None)
