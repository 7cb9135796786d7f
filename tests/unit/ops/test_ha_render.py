"""The HA profile's rendering: three KRaft voters, RF 3 with min ISR 2, a Redis primary with two replicas and three
Sentinels, services that find the primary through Sentinel. Settings in, text out; no I/O."""

from pathlib import Path

import pytest

from faultline_ops.render import kafka, redis, services, supervisor
from faultline_ops.settings import Settings, from_env


def ha_settings(**overrides) -> Settings:
    return Settings(repo=Path("/repo"), home=Path("/state"), cache=Path("/cache"), **{"profile": "ha", **overrides})


def properties(text: str) -> dict[str, str]:
    lines = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in lines}


def test_three_kafka_nodes_share_one_static_quorum_of_three_voters():
    settings = ha_settings()
    nodes = [properties(kafka.server_properties(settings, n)) for n in settings.kafka_nodes]
    assert [p["node.id"] for p in nodes] == ["1", "2", "3"]
    assert {p["controller.quorum.voters"] for p in nodes} == {"1@127.0.0.1:19093,2@127.0.0.1:19095,3@127.0.0.1:19097"}
    assert [p["listeners"] for p in nodes] == [
        "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
        "PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095",
        "PLAINTEXT://127.0.0.1:19096,CONTROLLER://127.0.0.1:19097"]
    assert len({p["log.dirs"] for p in nodes}) == 3


def test_ha_kafka_replicates_everything_three_times_and_acknowledges_on_two():
    props = properties(kafka.server_properties(ha_settings(), 2))
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"
    assert props["unclean.leader.election.enable"] == "false"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"


def test_the_default_profile_still_runs_one_kafka_and_one_redis():
    settings = Settings(repo=Path("/repo"), home=Path("/state"), cache=Path("/cache"))
    names = [p.name for p in supervisor.infra_programs(settings)]
    assert names == ["kafka", "redis", "mailpit", "zipkin", "otel-collector"]
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert "FAULTLINE_REDIS_SENTINELS" not in dict(services.environment(settings, "cart", 1))


def test_the_ha_profile_supervises_three_brokers_three_redis_nodes_and_three_sentinels():
    names = [p.name for p in supervisor.infra_programs(ha_settings())]
    assert names[:9] == ["kafka-1", "kafka-2", "kafka-3", "redis-1", "redis-2", "redis-3",
                         "sentinel-1", "sentinel-2", "sentinel-3"]


def test_redis_nodes_two_and_three_start_as_replicas_of_node_one():
    settings = ha_settings()
    assert "replicaof" not in redis.redis_conf(settings, 1)
    for node in (2, 3):
        conf = redis.redis_conf(settings, node)
        assert "replicaof 127.0.0.1 16379" in conf
        assert f"port {settings.redis_node_port(node)}" in conf


def test_sentinels_watch_node_one_with_a_quorum_of_two():
    conf = redis.sentinel_conf(ha_settings(), 3)
    assert "port 16391" in conf
    assert "sentinel monitor faultline 127.0.0.1 16379 2" in conf
    assert redis.sentinel_program(ha_settings(), 3).command.endswith("--sentinel")


def test_sentinel_owned_files_are_state_written_once_not_rendered_every_up():
    settings = ha_settings()
    assert redis.files(settings) == {}
    assert len(redis.state_files(settings)) == 6


def test_services_reach_every_broker_and_find_redis_through_the_sentinels():
    env = dict(services.environment(ha_settings(), "inventory", 1))
    assert env["FAULTLINE_KAFKA_BOOTSTRAP"] == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    assert env["FAULTLINE_REDIS_SENTINELS"] == "127.0.0.1:16389,127.0.0.1:16390,127.0.0.1:16391"
    assert env["FAULTLINE_REDIS_WAIT_REPLICAS"] == "1"


def test_the_profile_comes_from_the_environment_or_the_state_dir(tmp_path):
    assert from_env({"FAULTLINE_HOME": str(tmp_path)}).profile == "default"
    (tmp_path / "profile").write_text("ha\n")
    assert from_env({"FAULTLINE_HOME": str(tmp_path)}).ha
    assert from_env({"FAULTLINE_HOME": str(tmp_path), "FAULTLINE_PROFILE": "default"}).profile == "default"


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="profile"):
        ha_settings(profile="quorum")


def test_every_ha_port_stays_below_the_node_port_range_with_a_test_offset():
    from tests.support.stack import shifted_ports

    settings = from_env({**shifted_ports(2000), "FAULTLINE_PROFILE": "ha"})
    ports = [settings.kafka_node_port(n) for n in settings.kafka_nodes]
    ports += [settings.kafka_node_controller_port(n) for n in settings.kafka_nodes]
    ports += [settings.redis_node_port(n) for n in settings.redis_nodes]
    ports += [settings.sentinel_port(i) for i in settings.sentinels]
    assert max(ports) < 30000 and len(set(ports)) == len(ports)
