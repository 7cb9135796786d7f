"""The services' environment contract, derived from their source: what the chart sets is read, what is read is set.

The variables a service reads are found in the code itself (an AST walk over services/kit/faultline_kit and
services/<name>/<name>_service for env_str/env_int/env_float(..., "NAME"...), environ.get("NAME"...),
os.getenv("NAME"...), environ["NAME"]), so a variable added to the code without the chart fails here.
The kit's reads count for every service.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.rendering import ROOT, SERVICES, pod_spec, render, service_deployments

NAME = re.compile(r"^(FAULTLINE|OTEL)_[A-Z0-9_]+$")
READERS_WITH_DEFAULT = {"env_int", "env_float", "env_bool"}   # their default argument is mandatory
READERS = READERS_WITH_DEFAULT | {"env_str", "get", "getenv"}

# Read with a default and deliberately not set by the chart; each says why. Settable per service through
# `components.<name>.env` (or `default.env` for all).
OPTIONAL_WITH_DEFAULTS = {
    "FAULTLINE_BREAKER_FAIL_MAX": "circuit breaker tuning; the kit's default suits the demo",
    "FAULTLINE_BREAKER_RESET_S": "circuit breaker tuning; the kit's default suits the demo",
    "FAULTLINE_RETRY_BUDGET_RATIO": "retry budget tuning; the kit's default suits the demo",
    "FAULTLINE_RETRY_DEADLINE_S": "retry tuning; the kit's default suits the demo",
    "FAULTLINE_RETRY_MAX_ATTEMPTS": "retry tuning; the kit's default suits the demo",
    "FAULTLINE_KAFKA_NAMESPACE": "topic/group prefix for sharing a broker (tests); none in a cluster of its own",
    "FAULTLINE_REDIS_SENTINELS": "the HA profile only (Redis through Sentinel); one Redis by default",
    "FAULTLINE_REDIS_SENTINEL_MASTER": "the HA profile only; `faultline` is the name the Sentinels monitor",
    "FAULTLINE_REDIS_WAIT_REPLICAS": "the HA profile only (inventory's WAIT); no replica to wait for by default",
    "FAULTLINE_REDIS_WAIT_TIMEOUT_MS": "the HA profile only; how long a reservation waits for its replica",
    "FAULTLINE_DRAIN_DELAY_S": "SIGTERM → not ready, still serving 2 s; after the preStop sleep it only adds to the "
                               "drain (5 + 2 + graceful 8 s < the 20 s grace period)",
}


@dataclass(frozen=True)
class Read:
    name: str
    has_default: bool
    where: str


def reads_in(path: Path) -> list[Read]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if func not in READERS:
                continue
            for index, arg in enumerate(node.args):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and NAME.match(arg.value):
                    later_args = len(node.args) > index + 1 or any(k.arg == "default" for k in node.keywords)
                    has_default = func in READERS_WITH_DEFAULT or func in ("get", "getenv") or later_args
                    found.append(Read(arg.value, has_default, f"{path.relative_to(ROOT)}:{node.lineno}"))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
            if isinstance(key, str) and NAME.match(key) and isinstance(node.ctx, ast.Load):
                found.append(Read(key, False, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def reads_of(service: str) -> dict[str, Read]:
    files = sorted((ROOT / "services" / "kit" / "faultline_kit").rglob("*.py"))
    files += sorted((ROOT / "services" / service / f"{service}_service").rglob("*.py"))
    reads: dict[str, Read] = {}
    for path in files:
        for read in reads_in(path):
            # One read without a default makes the variable required.
            if read.name not in reads or not read.has_default:
                reads[read.name] = read
    return reads


def set_by_chart(service: str) -> set[str]:
    deployment = service_deployments(render("default"))[service]
    return {env["name"] for env in pod_spec(deployment)["containers"][0]["env"]}


def test_the_derivation_finds_the_known_settings():
    """Guards the AST walk itself: these reads exist today and must be found."""
    kit = set(reads_of("order"))
    assert {"FAULTLINE_KAFKA_BOOTSTRAP", "FAULTLINE_REDIS_URL", "FAULTLINE_BIND", "FAULTLINE_ADMIN_TOKEN"} <= kit
    assert {"FAULTLINE_INVENTORY_URL", "FAULTLINE_ORDER_URL"} <= set(reads_of("cart"))
    assert {"FAULTLINE_SMTP_HOST", "FAULTLINE_SMTP_PORT", "FAULTLINE_MAIL_FROM"} <= set(reads_of("email"))


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_the_chart_sets_is_read(service):
    unread = {name for name in set_by_chart(service) - set(reads_of(service)) if not name.startswith("OTEL_")}
    assert unread == set(), f"{service}: the chart sets variables no code reads"


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_the_service_reads_is_set(service):
    reads = reads_of(service)
    unset = {name: read.where for name, read in reads.items()
             if name not in set_by_chart(service) and name not in OPTIONAL_WITH_DEFAULTS}
    assert unset == {}, (f"{service} reads variables the chart does not set: set them in templates/services.yaml "
                         f"or, if their default is right in Kubernetes, list them in OPTIONAL_WITH_DEFAULTS")


@pytest.mark.parametrize("service", SERVICES)
def test_optional_variables_really_have_defaults(service):
    required = {name: read.where for name, read in reads_of(service).items()
                if name in OPTIONAL_WITH_DEFAULTS and not read.has_default}
    assert required == {}


def test_the_chart_sets_the_standard_otel_variables():
    for service in SERVICES:
        names = set_by_chart(service)
        assert {"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_ENDPOINT",
                "OTEL_EXPORTER_OTLP_PROTOCOL"} <= names, service
        env = {e["name"]: e for e in pod_spec(service_deployments(render("default"))[service])["containers"][0]["env"]}
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"]["value"] == "http/protobuf"
        assert "service.instance.id=$(FAULTLINE_INSTANCE_ID)" in env["OTEL_RESOURCE_ATTRIBUTES"]["value"]
        assert env["FAULTLINE_INSTANCE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
