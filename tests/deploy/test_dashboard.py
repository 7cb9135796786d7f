"""The Grafana dashboard and the metrics path behind it: services → Collector → Prometheus → Grafana.

dashboards/faultline.json must parse, ask Prometheus only for metrics the services export (Prometheus names,
docs/observability.md) with the labels they carry, and use the datasource the chart provisions; the rendered
ConfigMaps, mounts and scrape target must fit together.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest
import yaml

from deploy.rendering import CHART, SERVICES, pod_spec, render, service_deployments

DASHBOARD = CHART / "dashboards" / "faultline.json"

# What the services export (docs/observability.md), checked against the kit's /metrics output.
HISTOGRAMS = {"http_server_request_duration_seconds", "faultline_saga_duration_seconds"}
METRICS = HISTOGRAMS | {
    "faultline_breaker_state",
    "faultline_http_client_requests_total", "faultline_http_client_retries_total",
    "faultline_http_client_retry_budget_refused_total",
    "faultline_consumer_lag", "faultline_consumer_processed_total", "faultline_consumer_dead_lettered_total",
    "faultline_consumer_retried_total", "faultline_consumer_fenced_total", "faultline_consumer_paused",
    "faultline_outbox_backlog", "faultline_membership_members",
}
# Metrics the dashboard may use beyond that list, each with its reason. None today.
EXCEPTIONS: dict[str, str] = {}
# The metrics' own labels, `le` of the histograms, and job/instance set by the Collector's Prometheus exporter.
LABELS = {"breaker", "downstream", "group", "partition", "status", "outcome", "http_route",
          "http_response_status_code", "http_request_method", "le", "job", "instance"}
# What the dashboard is for (issue 5): breakers, consumer lag, saga latency, failures.
MUST_SHOW = {"faultline_breaker_state", "faultline_consumer_lag", "faultline_saga_duration_seconds",
             "faultline_consumer_dead_lettered_total", "http_server_request_duration_seconds"}

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless",
            "atan2", "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "count_values",
            "quantile", "group", "limitk", "limit_ratio", "inf", "nan"}
STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
MATCHER_LABEL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
IDENTIFIER = re.compile(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*")


def promql_names(expr: str) -> tuple[set[str], set[str]]:
    """(metric names, label names) an expression uses; histogram series are reported by their base name."""
    text = STRING.sub('""', expr)
    labels = {name for block in re.findall(r"\{([^}]*)\}", text) for name in MATCHER_LABEL.findall(block)}
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    labels |= {name.strip() for group in GROUPING.findall(text) for name in group.split(",") if name.strip()}
    text = GROUPING.sub(" ", text)
    metrics = set()
    for match in IDENTIFIER.finditer(text):
        name, rest = match.group(), text[match.end():].lstrip()
        if name in KEYWORDS or rest.startswith("("):
            continue
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        metrics.add(base if base in HISTOGRAMS else name)
    return metrics, labels


def test_the_query_parser_finds_metrics_and_labels():
    """Guards the parser itself on the shapes the dashboard uses."""
    metrics, labels = promql_names(
        'histogram_quantile(0.95, sum by (job, le) (rate(http_server_request_duration_seconds_bucket'
        '{job=~"$job", http_response_status_code=~"5.."}[$__rate_interval]))) / on (job) group_left '
        'count(faultline_breaker_state == 2) or vector(0)')
    assert metrics == {"http_server_request_duration_seconds", "faultline_breaker_state"}
    assert labels == {"job", "le", "http_response_status_code"}
    assert promql_names("sum(faultline_no_such_metric_total offset 5m)")[0] == {"faultline_no_such_metric_total"}


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def queries(board: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target."""
    for panel in all_panels(board["panels"]):
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} {target['refId']}", target["expr"]


def test_dashboard_parses_with_a_uid_and_distinct_panel_ids():
    board = dashboard()
    assert board["uid"] and board["title"]
    ids = [panel["id"] for panel in all_panels(board["panels"])]
    assert len(ids) == len(set(ids))
    for panel in all_panels(board["panels"]):
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel["type"] == "row" or panel.get("targets"), f"{panel['title']} has no query"


def test_every_query_names_only_metrics_the_services_export():
    unknown, empty = [], []
    for where, expr in queries(dashboard()):
        metrics, _ = promql_names(expr)
        empty += [] if metrics else [where]
        unknown += [f"{where}: {name}" for name in sorted(metrics - METRICS - set(EXCEPTIONS))]
    assert unknown == [] and empty == []


def test_every_query_uses_only_labels_the_metrics_carry():
    unknown = [f"{where}: {label}" for where, expr in queries(dashboard())
               for label in sorted(promql_names(expr)[1] - LABELS)]
    assert unknown == []


def test_template_variables_read_known_metrics_and_labels():
    for variable in dashboard()["templating"]["list"]:
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        metric, label = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", query).groups()
        assert metric in METRICS and label in LABELS, variable["name"]


def test_dashboard_shows_breakers_lag_saga_and_failures():
    used = set().union(*(promql_names(expr)[0] for _, expr in queries(dashboard())))
    assert MUST_SHOW <= used


def observability() -> list[dict[str, Any]]:
    return render("observability")


def named(objects, kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def test_every_panel_uses_the_provisioned_datasource():
    provisioning = named(observability(), "ConfigMap", "faultline-grafana-provisioning")["data"]
    [datasource] = yaml.safe_load(provisioning["datasources.yaml"])["datasources"]
    assert datasource["type"] == "prometheus"
    board = dashboard()
    wrong = [variable["name"] for variable in board["templating"]["list"]
             if variable["datasource"] != {"type": "prometheus", "uid": datasource["uid"]}]
    for panel in all_panels(board["panels"]):
        if panel["type"] == "row":
            continue
        for where in [panel, *panel["targets"]]:
            if where["datasource"] != {"type": "prometheus", "uid": datasource["uid"]}:
                wrong.append(panel["title"])
    assert wrong == []


def test_grafana_loads_the_chart_dashboards_and_reads_the_chart_prometheus():
    objects = observability()
    provisioning = named(objects, "ConfigMap", "faultline-grafana-provisioning")["data"]
    [provider] = yaml.safe_load(provisioning["dashboards.yaml"])["providers"]
    [datasource] = yaml.safe_load(provisioning["datasources.yaml"])["datasources"]
    dashboards = named(objects, "ConfigMap", "faultline-grafana-dashboards")["data"]
    assert json.loads(dashboards["faultline.json"]) == dashboard()

    grafana = pod_spec(named(objects, "Deployment", "faultline-grafana"))
    volumes = {v["name"]: v for v in grafana["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in grafana["containers"][0]["volumeMounts"]}
    assert mounts[provider["options"]["path"]]["configMap"]["name"] == "faultline-grafana-dashboards"
    assert mounts["/etc/grafana/provisioning/datasources"]["configMap"]["items"][0]["key"] == "datasources.yaml"
    assert mounts["/etc/grafana/provisioning/dashboards"]["configMap"]["items"][0]["key"] == "dashboards.yaml"
    env = {e["name"]: e.get("value") for e in grafana["containers"][0]["env"]}
    assert env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == f"{provider['options']['path']}/faultline.json"

    service = named(objects, "Service", "faultline-prometheus")
    assert datasource["url"] == f"http://faultline-prometheus:{service['spec']['ports'][0]['port']}"


def test_prometheus_scrapes_the_collector_prometheus_exporter():
    objects = observability()
    config = yaml.safe_load(named(objects, "ConfigMap", "faultline-prometheus")["data"]["prometheus.yml"])
    [job] = config["scrape_configs"]
    assert job["honor_labels"] is True, "keep the exporter's job/instance (service and pod) labels"
    [target] = job["static_configs"][0]["targets"]
    collector = yaml.safe_load(named(objects, "ConfigMap", "faultline-otel-collector")["data"]["config.yaml"])
    port = int(collector["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1])
    assert "prometheus" in collector["service"]["pipelines"]["metrics"]["exporters"]
    assert "otlp" in collector["service"]["pipelines"]["metrics"]["receivers"]
    service_ports = {p["port"] for p in named(objects, "Service", "faultline-otel-collector")["spec"]["ports"]}
    assert target == f"faultline-otel-collector:{port}" and port in service_ports


@pytest.mark.parametrize("case", ["default", "observability"])
def test_services_push_metrics_with_the_stable_http_names(case):
    """Without OTEL_SEMCONV_STABILITY_OPT_IN=http the Flask instrumentation emits http_server_duration_milliseconds,
    not the http_server_request_duration_seconds the dashboard reads; metrics are pushed to the Collector."""
    for service, deployment in service_deployments(render(case)).items():
        env = {e["name"]: e.get("value") for e in pod_spec(deployment)["containers"][0]["env"]}
        assert env["OTEL_SEMCONV_STABILITY_OPT_IN"] == "http", service
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://faultline-otel-collector:4318", service
        assert int(env["OTEL_METRIC_EXPORT_INTERVAL"]) <= 15000, service
    assert set(service_deployments(render(case))) == set(SERVICES)
