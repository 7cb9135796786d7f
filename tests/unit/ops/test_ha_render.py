"""The HA profile's rendering: three KRaft voters, RF 3 with min ISR 2, a Redis primary with two replicas and three
Sentinels, services that find the primary through Sentinel. Settings in, text out; no I/O."""

from pathlib import Path

import pytest

from faultline_ops.render import kafka, redis, services, supervisor, toxiproxy
from faultline_ops.settings import Settings, from_env, port_defaults


def ha_settings(**overrides) -> Settings:
    return Settings(repo=Path("/repo"), home=Path("/state"), cache=Path("/cache"), **{"profile": "ha", **overrides})


def properties(text: str) -> dict[str, str]:
    lines = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in lines}


def proxy_upstreams(settings: Settings) -> dict[int, str]:
    """Toxiproxy listen port -> upstream host:port, as rendered."""
    return {int(p["listen"].rpartition(":")[2]): p["upstream"] for p in toxiproxy.proxies(settings)}


def endpoints(value: str) -> dict[str, str]:
    """NAME://host:port,... -> {NAME: host:port}."""
    return dict(item.split("://", 1) for item in value.split(","))


def test_three_kafka_nodes_share_one_static_quorum_of_three_voters_reached_through_toxiproxy():
    settings = ha_settings()
    nodes = {n: properties(kafka.server_properties(settings, n)) for n in settings.kafka_nodes}
    assert [p["node.id"] for p in nodes.values()] == ["1", "2", "3"]
    upstreams = proxy_upstreams(settings)
    for node, props in nodes.items():
        voters = dict(v.split("@") for v in props["controller.quorum.voters"].split(","))
        assert set(voters) == {"1", "2", "3"}
        for voter, address in voters.items():
            # itself directly, every other voter through a Toxiproxy link leading to that voter's controller
            # listener for this node
            port = int(address.rpartition(":")[2])
            if int(voter) == node:
                assert address == f"127.0.0.1:{settings.kafka_node_controller_port(node)}"
            else:
                assert upstreams[port] == endpoints(nodes[int(voter)]["listeners"])[f"CONTROLLER_FOR_{node}"]
        # a Raft leader advertises every controller listener; each follower reaches it on the one named after
        # itself, which is advertised at the link from that follower
        assert props["controller.listener.names"].split(",")[0] == f"CONTROLLER_FOR_{node}"
        for peer in set(nodes) - {node}:
            advertised = endpoints(props["advertised.listeners"])[f"CONTROLLER_FOR_{peer}"]
            assert advertised == f"127.0.0.1:{settings.kafka_link_port(peer, node, 'controller')}"
            assert upstreams[int(advertised.rpartition(":")[2])] == endpoints(props["listeners"])[f"CONTROLLER_FOR_{peer}"]
    assert len({p["log.dirs"] for p in nodes.values()}) == 3


def test_each_node_fetches_from_its_peers_through_a_link_of_its_own_and_clients_reach_every_node_directly():
    settings = ha_settings()
    nodes = {n: properties(kafka.server_properties(settings, n)) for n in settings.kafka_nodes}
    upstreams = proxy_upstreams(settings)
    for node, props in nodes.items():
        assert props["inter.broker.listener.name"] == f"REPLICATION_FOR_{node}"
        assert endpoints(props["advertised.listeners"])["PLAINTEXT"] == f"127.0.0.1:{settings.kafka_node_port(node)}"
        for peer, peer_props in nodes.items():
            if peer == node:
                continue
            # where `node` fetches from `peer`: the peer's advertised REPLICATION_FOR_<node>, a Toxiproxy link
            # that leads to the peer's own listener of that name
            advertised = endpoints(peer_props["advertised.listeners"])[f"REPLICATION_FOR_{node}"]
            assert upstreams[int(advertised.rpartition(":")[2])] == endpoints(peer_props["listeners"])[
                f"REPLICATION_FOR_{node}"]
            assert advertised == f"127.0.0.1:{settings.kafka_link_port(node, peer, 'replication')}"


def test_every_link_has_its_own_port_clear_of_every_other_port_of_the_stack():
    settings = ha_settings()
    links = [settings.kafka_link_port(*link) for link in settings.kafka_links()]
    peers = [settings.kafka_peer_port(n, p, k) for n in settings.kafka_nodes for p in settings.kafka_nodes
             for k in ("replication", "controller") if (n, k) != (p, "controller")]
    others = [getattr(settings, name) for name, _ in port_defaults().values()]
    others += [settings.proxy_port("cart", d) for d in ("inventory", "order")]
    assert len(settings.kafka_links()) == 12   # 3 x 2 directions x (replication, controller)
    ports = links + peers + others
    assert len(ports) == len(set(ports))


def test_the_default_profile_renders_no_kafka_links():
    settings = Settings(repo=Path("/repo"), home=Path("/state"), cache=Path("/cache"))
    assert settings.kafka_links() == []
    assert [p["name"] for p in toxiproxy.proxies(settings)] == ["cart-to-inventory", "cart-to-order"]
    assert properties(kafka.server_properties(settings))["inter.broker.listener.name"] == "PLAINTEXT"


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
    # Toxiproxy first: the nodes reach each other through it
    assert names[:10] == ["toxiproxy", "kafka-1", "kafka-2", "kafka-3", "redis-1", "redis-2", "redis-3",
                          "sentinel-1", "sentinel-2", "sentinel-3"]
    assert "toxiproxy" not in [p.name for p in supervisor.app_programs(ha_settings())]


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
