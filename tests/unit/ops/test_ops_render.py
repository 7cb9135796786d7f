"""Rendering of the local stack's configuration: settings in, text out. No I/O."""

from pathlib import Path

import pytest

from faultline_ops.render import haproxy, kafka, mailpit, redis, services, supervisor, toxiproxy
from faultline_ops.settings import Settings, from_env


def make_settings(**overrides) -> Settings:
    return Settings(repo=Path("/repo"), home=Path("/state"), cache=Path("/cache"), **overrides)


def properties(text: str) -> dict[str, str]:
    lines = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in lines}


def test_kafka_runs_combined_kraft_on_loopback_with_a_static_quorum():
    props = properties(kafka.server_properties(make_settings(kafka_port=29092, kafka_controller_port=29093)))
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert props["controller.listener.names"] == "CONTROLLER"


def test_kafka_single_node_replication_factors_are_one():
    props = properties(kafka.server_properties(make_settings()))
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr", "share.coordinator.state.topic.replication.factor",
                "share.coordinator.state.topic.min.isr", "default.replication.factor"):
        assert props[key] == "1", key


def test_a_restarted_single_kafka_node_takes_its_new_incarnation_after_three_seconds_not_nine():
    # After a SIGKILL the controller refuses the broker's re-registration until the old session expires.
    props = properties(kafka.server_properties(make_settings()))
    assert props["broker.session.timeout.ms"] == "3000"
    assert int(props["broker.session.timeout.ms"]) // int(props["broker.heartbeat.interval.ms"]) == 6


def test_kafka_never_auto_creates_topics_and_keeps_data_in_the_state_dir():
    props = properties(kafka.server_properties(make_settings()))
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["log.dirs"] == "/state/kafka/data"


def test_kafka_logs_to_a_file_in_the_logs_folder():
    assert 'fileName: "/state/logs/kafka-server.log"' in kafka.log4j2_yaml(make_settings())


def test_kafka_storage_format_uses_the_cluster_id_without_standalone():
    argv = kafka.format_command(make_settings(), "abc")
    assert argv[argv.index("-t") + 1] == "abc"
    assert "--standalone" not in argv
    assert "/cache/kafka-4.3.1/libs/*" in argv


def test_kafka_program_runs_kafka_with_a_fixed_heap():
    command = kafka.program(make_settings()).command
    assert "-Xmx512m" in command and "kafka.Kafka /state/kafka/server.properties" in command


def test_redis_listens_on_its_port_with_an_append_only_file():
    conf = redis.redis_conf(make_settings(redis_port=26379))
    assert "port 26379\n" in conf and "bind 127.0.0.1\n" in conf
    assert "appendonly yes\n" in conf and "appendfsync everysec\n" in conf
    assert "dir /state/redis\n" in conf and "daemonize no\n" in conf


def test_mailpit_listens_on_its_ui_and_smtp_ports_with_a_database_in_the_state_dir():
    argv = mailpit.argv(make_settings(mailpit_port=9025, smtp_port=2025))
    assert argv[0] == "/cache/mailpit-v1.33.1/mailpit"  # built with its web UI by bootstrap
    assert argv[argv.index("--listen") + 1] == "127.0.0.1:9025"
    assert argv[argv.index("--smtp") + 1] == "127.0.0.1:2025"
    assert argv[argv.index("--database") + 1] == "/state/mailpit/mailpit.db"


def test_haproxy_routes_each_front_port_to_every_replica():
    cfg = haproxy.haproxy_cfg(make_settings())
    assert "bind 127.0.0.1:8081\n" in cfg
    assert "server order-1 127.0.0.1:18081 check\n" in cfg
    assert "server order-2 127.0.0.1:28081 check\n" in cfg
    assert "server email-2 127.0.0.1:28084 check\n" in cfg
    assert cfg.count("option httpchk GET /readyz") == 4


def test_haproxy_follows_the_replica_count():
    cfg = haproxy.haproxy_cfg(make_settings(replicas=3))
    assert "server cart-3 127.0.0.1:38082 check\n" in cfg
    assert "cart-4" not in cfg


def test_each_service_instance_gets_its_own_bind_and_instance_id():
    env = dict(services.instance_program(make_settings(), "inventory", 2).environment)
    assert env["FAULTLINE_SERVICE"] == "inventory"
    assert env["FAULTLINE_INSTANCE_ID"] == "inventory-2"
    assert env["FAULTLINE_BIND"] == "127.0.0.1:28083"


def test_service_instances_reach_peers_through_haproxy_front_ports():
    env = dict(services.instance_program(make_settings(order_port=9081), "email", 1).environment)
    assert env["FAULTLINE_ORDER_URL"] == "http://127.0.0.1:9081"
    assert env["FAULTLINE_KAFKA_BOOTSTRAP"] == "127.0.0.1:19092"
    assert env["FAULTLINE_REDIS_URL"] == "redis://127.0.0.1:16379/0"


def test_service_instances_receive_the_callers_otel_variables():
    settings = make_settings(otel_env=(("OTEL_SERVICE_NAME", "x"),))
    assert dict(services.instance_program(settings, "order", 1).environment)["OTEL_SERVICE_NAME"] == "x"


def test_supervisor_escapes_percent_signs_in_environment_values():
    line = supervisor.environment_line((("A", "50%"), ("B", 'say "hi"')))
    assert line == 'environment=A="50%%",B="say \\"hi\\""\n'


def test_supervisor_groups_service_replicas_and_restarts_crashed_programs():
    conf = supervisor.supervisord_conf(make_settings())
    assert "[group:order]\nprograms=order-1,order-2\n" in conf
    assert "[program:haproxy]" in conf and "[program:kafka]" in conf
    # kafka, redis, mailpit, zipkin, otel-collector, haproxy, toxiproxy + 8 instances + the console
    assert conf.count("autorestart=true") == 7 + 8 + 1
    assert "stdout_logfile=/state/logs/email-2.log" in conf


def test_the_console_watches_the_same_stack_on_its_own_port():
    from faultline_ops.render import console

    settings = make_settings(replicas=3, console_port=9590, admin_token="t0k")
    program = console.program(settings)
    env = dict(program.environment)
    assert (program.port, env["FAULTLINE_BIND"]) == (9590, "127.0.0.1:9590")
    assert env["FAULTLINE_CONSOLE_BACKEND"] == "local" and env["FAULTLINE_REPLICAS"] == "3"
    assert env["FAULTLINE_ADMIN_TOKEN"] == "t0k" and env["FAULTLINE_HOME"] == str(settings.home)
    assert env["FAULTLINE_ORDER_PORT"] == str(settings.order_port)
    assert env["FAULTLINE_KAFKA_BOOTSTRAP"] == settings.kafka_bootstrap
    assert not program.autostart


def test_supervisor_infra_only_leaves_out_services_and_haproxy():
    conf = supervisor.supervisord_conf(make_settings(), infra_only=True)
    assert "[program:redis]" in conf and "[program:mailpit]" in conf
    assert "haproxy" not in conf and "[group:" not in conf and "console" not in conf


def test_settings_read_ports_and_state_dir_from_the_environment():
    settings = from_env({"FAULTLINE_HOME": "/tmp/elsewhere", "FAULTLINE_ORDER_PORT": "9081",
                         "FAULTLINE_REPLICAS": "3", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"})
    assert settings.home == Path("/tmp/elsewhere")
    assert settings.replica_port("order", 3) == 39081
    assert settings.otel_env == (("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x"),)
    assert settings.kafka_port == 19092


def test_settings_refuse_replica_ports_beyond_65535():
    with pytest.raises(ValueError, match="65535"):
        make_settings(replicas=7)


def test_a_changed_haproxy_config_changes_its_supervisor_section_so_update_restarts_it():
    two = supervisor.program_section(make_settings(), haproxy.program(make_settings()))
    three = supervisor.program_section(make_settings(), haproxy.program(make_settings(replicas=3)))
    assert two != three


def test_supervisor_socket_moves_out_of_a_state_dir_too_deep_for_a_unix_socket():
    deep = Settings(repo=Path("/repo"), home=Path("/x" * 60), cache=Path("/cache"))
    assert len(str(deep.supervisor_socket)) < 100
    assert make_settings().supervisor_socket == Path("/state/supervisor.sock")


def test_cart_reaches_inventory_and_order_through_toxiproxy_listeners():
    env = dict(services.instance_program(make_settings(toxiproxy_port=9474), "cart", 2).environment)
    assert env["FAULTLINE_INVENTORY_URL"] == "http://127.0.0.1:9475"
    assert env["FAULTLINE_ORDER_URL"] == "http://127.0.0.1:9476"
    assert env["FAULTLINE_EMAIL_URL"] == "http://127.0.0.1:8084"


def test_toxiproxy_forwards_each_proxied_route_to_the_downstreams_front_port():
    proxies = {p["name"]: p for p in toxiproxy.proxies(make_settings(inventory_port=9083))}
    assert proxies["cart-to-inventory"]["listen"] == "127.0.0.1:8475"
    assert proxies["cart-to-inventory"]["upstream"] == "127.0.0.1:9083"
    assert proxies["cart-to-order"]["upstream"] == "127.0.0.1:8081"
    assert all(p["enabled"] for p in proxies.values())


def test_toxiproxy_runs_with_its_api_on_loopback_beside_haproxy_but_not_with_infra_only():
    settings = make_settings()
    assert "-host 127.0.0.1 -port 8474 -config /state/toxiproxy/proxies.json" in toxiproxy.program(settings).command
    assert "[program:toxiproxy]" in supervisor.supervisord_conf(settings)
    assert "toxiproxy" not in supervisor.supervisord_conf(settings, infra_only=True)


def test_services_export_to_the_collector_and_the_collector_sends_traces_to_zipkin():
    from faultline_ops.render import otel_collector, services

    settings = make_settings(otlp_port=4418, zipkin_port=9511)
    config = otel_collector.config(settings)
    assert "endpoint: 127.0.0.1:4418" in config
    assert "endpoint: http://127.0.0.1:9511/api/v2/spans" in config
    env = dict(services.environment(settings, "order", 1))
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4418"


def test_zipkin_keeps_traces_in_memory_and_serves_on_the_configured_port_of_the_stack_host():
    from faultline_ops.render import zipkin

    settings = make_settings(zipkin_port=9511)
    argv = zipkin.argv(settings)
    assert argv[argv.index("-jar") + 1] == "/cache/zipkin-3.5.1/zipkin-server-3.5.1-exec.jar"
    assert {"--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].port=9511"} <= set(argv)
    assert dict(zipkin.program(settings).environment)["STORAGE_TYPE"] == "mem"


def test_the_callers_otel_variables_win_over_the_local_collector():
    from dataclasses import replace

    from faultline_ops.render import services

    settings = replace(make_settings(), otel_env=(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),))
    assert dict(services.environment(settings, "cart", 2))["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://collector:4318"


def test_haproxy_retries_a_dead_replica_but_never_resends_an_unkeyed_post():
    cfg = haproxy.haproxy_cfg(make_settings())
    assert "retry-on conn-failure empty-response junk-response" in cfg
    assert cfg.count("http-request disable-l7-retry if METH_POST !{ req.hdr(Idempotency-Key) -m found }") == 4
