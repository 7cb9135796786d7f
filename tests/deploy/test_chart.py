"""helm itself: lint --strict and template for every ci/*-values.yaml; the values schema refuses bad values."""
from __future__ import annotations

import pytest

from deploy.rendering import CASES, CHART, KUBE_VERSION, helm, render


@pytest.mark.parametrize("case", CASES)
def test_helm_lint_strict_passes(case):
    result = helm("lint", "--strict", str(CHART), "-f", str(CHART / "ci" / f"{case}-values.yaml"),
                  "--kube-version", KUBE_VERSION)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES)
def test_helm_template_renders_the_services(case):
    kinds = {(obj["kind"], obj["metadata"]["name"]) for obj in render(case)}
    assert ("Deployment", "faultline-order") in kinds
    assert ("Deployment", "faultline-cart") in kinds


@pytest.mark.parametrize("bad_value", [
    "default.image.tag=latest",            # no floating tags
    "kafka.replicaz=3",                    # typo: unknown keys are refused
    "components.order.logLevel=chatty",    # not a log level
    "nodePorts.cart=8082",                 # outside the NodePort range
    "prometheus.image.tag=latest",
    "grafana.image.tag=latest",
    "grafana.adminPasword.value=x",        # typo
    "prometheus.retention=forever",        # not a Prometheus duration
])
def test_values_schema_refuses(bad_value):
    result = helm("template", "x", str(CHART), "--kube-version", KUBE_VERSION, "--set", bad_value)
    assert result.returncode != 0
    assert "schema" in result.stderr


@pytest.mark.parametrize("settings, message", [
    (["grafana.enabled=true"], "grafana.enabled needs prometheus.enabled or prometheus.external.url"),
    (["prometheus.enabled=true", "otelCollector.enabled=false"], "it needs otelCollector.enabled"),
])
def test_metrics_components_refuse_to_render_without_their_source(settings, message):
    args = [item for setting in settings for item in ("--set", setting)]
    result = helm("template", "x", str(CHART), "--kube-version", KUBE_VERSION, *args)
    assert result.returncode != 0
    assert message in result.stderr


def test_every_values_key_is_documented_by_a_comment():
    """Each key of values.yaml has a `# --` comment above it or above its parent block."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    documented_indents: list[int] = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("- ") or ":" not in stripped:
            continue
        indent = len(line) - len(line.lstrip())
        documented_indents = [i for i in documented_indents if i < indent]
        previous = lines[number - 1].strip() if number else ""
        if previous.startswith("#"):
            documented_indents.append(indent)
        elif not documented_indents:
            undocumented.append(f"line {number + 1}: {stripped}")
    assert not undocumented, "values without a comment (on them or their block):\n" + "\n".join(undocumented)


def test_readme_values_table_names_every_setting():
    """Every top-level key and every key one level below it (for components: every entry) is in README.md's table."""
    import yaml
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = (CHART / "README.md").read_text()
    missing = []
    for top, value in values.items():
        if top == "components":
            missing += [f"components.{name}" for name in value if f"`components.{name}" not in readme]
        elif isinstance(value, dict):
            missing += [f"{top}.{key}" for key in value if f"{top}.{key}" not in readme]
        elif f"`{top}`" not in readme and top not in readme:
            missing.append(top)
    assert missing == []


def test_the_collector_sends_traces_to_zipkin_which_keeps_them_in_memory():
    import yaml

    objects = render(None)
    by_name = {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}
    config = yaml.safe_load(by_name[("ConfigMap", "faultline-otel-collector")]["data"]["config.yaml"])
    assert config["exporters"]["zipkin"]["endpoint"] == "http://faultline-zipkin:9411/api/v2/spans"
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["zipkin"]
    zipkin = by_name[("Deployment", "faultline-zipkin")]["spec"]["template"]["spec"]["containers"][0]
    assert zipkin["image"] == "openzipkin/zipkin:3.5.1"
    assert {"name": "STORAGE_TYPE", "value": "mem"} in zipkin["env"]
    assert [port["containerPort"] for port in zipkin["ports"]] == [9411]
    assert [port["port"] for port in by_name[("Service", "faultline-zipkin")]["spec"]["ports"]] == [9411]
    assert not any("jaeger" in name for _, name in by_name)
