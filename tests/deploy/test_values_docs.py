"""values.schema.json and the README's values table are generated from values.yaml (infra/values_docs.py): the
committed files are exactly what it generates, and what it generates refuses what the chart cannot take."""
from __future__ import annotations

import copy
import importlib.util
import sys

import jsonschema
import pytest
import yaml

from deploy.rendering import CHART, ROOT

spec = importlib.util.spec_from_file_location("values_docs", ROOT / "infra" / "values_docs.py")
values_docs = sys.modules.setdefault("values_docs", importlib.util.module_from_spec(spec))
spec.loader.exec_module(values_docs)

VALUES = yaml.safe_load((CHART / "values.yaml").read_text())


def test_the_committed_schema_and_table_are_what_values_yaml_generates():
    stale = [path.name for path, text in values_docs.generated(CHART).items() if path.read_text() != text]
    assert stale == [], f"{stale} drifted from values.yaml: run make chart-docs"


def test_the_generated_schema_accepts_the_defaults_and_every_ci_values_file():
    schema = values_docs.values_schema(values_docs.parse((CHART / "values.yaml").read_text()))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(VALUES, schema, cls=jsonschema.Draft202012Validator)
    for path in sorted((CHART / "ci").glob("*-values.yaml")):
        merged = values_docs._merge(VALUES, yaml.safe_load(path.read_text()) or {})
        jsonschema.validate(merged, schema, cls=jsonschema.Draft202012Validator)


def with_value(path: str, value):
    values = copy.deepcopy(VALUES)
    *parents, leaf = path.split(".")
    node = values
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value
    return values


@pytest.mark.parametrize("path, value", [
    ("default.resources.requests", {"cpu": "50m"}),         # required memory, as before
    ("kafka.resources.limits.cpu", "a lot"),                # not a quantity
    ("redis.persistence", {"storageClassName": ""}),        # size is required
    ("components.order.replicas", -1),                      # entries carry default's constraints
    ("components.order.calls", ["order", "order"]),         # unique peers
    ("components.Order", {"enabled": True}),                # entry names are DNS labels
    ("console.apiServerPorts", []),
    ("console.image.repository", ""),
    ("default.env", {"1BAD": "x"}),
    ("default.logLevel", "chatty"),
    ("redis.appendfsync", "sometimes"),
    ("zipkin.image.tag", "latest"),
    ("nodePorts.console", 8090),
])
def test_the_generated_schema_refuses(path, value):
    schema = values_docs.values_schema(values_docs.parse((CHART / "values.yaml").read_text()))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(with_value(path, value), schema, cls=jsonschema.Draft202012Validator)
