"""The infrastructure images built here (infra/images, `make infra-images`) match what the chart asks for.

Names and tags come from INFRA_IMAGES in infra/images/lib.sh; each recipe pins the same version it is tagged with;
the Collector is built with every component the chart's configuration uses.
"""
from __future__ import annotations

import re

import pytest
import yaml

from deploy.rendering import RELEASE, ROOT, containers
from faultline_ops import services

IMAGES_DIR = ROOT / "infra" / "images"
RECIPES = IMAGES_DIR / "infra"


def infra_images() -> dict[str, str]:
    """recipe -> image, as INFRA_IMAGES in lib.sh lists them."""
    block = re.search(r"^INFRA_IMAGES=\((.*?)^\)", (IMAGES_DIR / "lib.sh").read_text(), re.M | re.S).group(1)
    return dict(re.findall(r'^\s*"(\S+) (\S+)"', block, re.M))


def normalise(reference: str) -> str:
    """The fully qualified name the kubelet pulls for an image reference."""
    first = reference.split("/")[0]
    if "/" not in reference:
        return f"docker.io/library/{reference}"
    if "." in first or ":" in first or first == "localhost":
        return reference
    return f"docker.io/{reference}"


def tag(recipe: str) -> str:
    return infra_images()[recipe].rsplit(":", 1)[1]


def arg(recipe: str, name: str) -> str:
    return re.search(rf"^ARG {name}=(\S+)$", (RECIPES / recipe / "Containerfile").read_text(), re.M).group(1)


def test_every_recipe_has_a_containerfile():
    assert infra_images(), "INFRA_IMAGES is empty"
    for recipe in infra_images():
        assert (RECIPES / recipe / "Containerfile").is_file(), recipe


def test_every_image_the_default_profile_runs_is_built_here(default_objects):
    chart = yaml.safe_load((ROOT / "charts" / "faultline" / "Chart.yaml").read_text())
    built = set(infra_images().values()) | {f"docker.io/faultline/{service}:{chart['appVersion']}"
                                            for service in services.IMAGES}   # make images builds every one
    used = {normalise(container.spec["image"]) for container in containers(default_objects)}
    assert used <= built, f"not built by make images / make infra-images: {sorted(used - built)}"


@pytest.mark.parametrize("component,recipe", [
    ("kafka", "kafka"), ("redis", "redis"), ("mailpit", "mailpit"), ("otel-collector", "otel-collector"),
    ("zipkin", "zipkin")])
def test_the_chart_runs_the_image_built_for_it(default_objects, component, recipe):
    images = {normalise(container["image"])
              for obj in default_objects if obj["kind"] in ("Deployment", "StatefulSet")
              and obj["metadata"]["labels"].get("app.kubernetes.io/component") == component
              for container in obj["spec"]["template"]["spec"]["containers"]}
    assert images == {infra_images()[recipe]}


def test_each_recipe_pins_the_version_it_is_tagged_with():
    pom = (RECIPES / "kafka" / "pom.xml").read_text()
    assert re.search(r"<kafka.version>(.*)</kafka.version>", pom).group(1) == tag("kafka")
    # Debian's version of Redis: epoch 5, upstream 7.0.15, Debian revision.
    assert re.fullmatch(r"\d+:(.+)-[^-]+", arg("redis", "REDIS_DEBIAN_VERSION")).group(1) == tag("redis")
    # Zipkin's jar and Mailpit's binary come from bootstrap's cache.
    zipkin_pom = (ROOT / "infra" / "zipkin" / "pom.xml").read_text()
    assert re.search(r"<zipkin.version>(.*)</zipkin.version>", zipkin_pom).group(1) == tag("zipkin")
    bootstrap = (ROOT / "infra" / "bootstrap.sh").read_text()
    assert re.search(r'^MAILPIT_VERSION="(.*)"$', bootstrap, re.M).group(1) == tag("mailpit")
    manifest = yaml.safe_load((RECIPES / "otel-collector" / "builder-config.yaml").read_text())
    assert manifest["dist"]["version"] == tag("otel-collector")
    assert re.search(r'#define VERSION "(.*)"', (RECIPES / "pause" / "pause.c").read_text()).group(1) == tag("pause")


def test_the_collector_is_built_with_every_component_the_chart_configures(default_objects):
    config_map = next(obj for obj in default_objects
                      if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == f"{RELEASE}-otel-collector")
    config = yaml.safe_load(config_map["data"]["config.yaml"])
    manifest = yaml.safe_load((RECIPES / "otel-collector" / "builder-config.yaml").read_text())
    for kind in ("receivers", "processors", "exporters", "extensions"):
        # A module ...receiver/otlpreceiver provides the component type "otlp"; memory_limiter is memorylimiter...
        built = {entry["gomod"].split()[0].rsplit("/", 1)[1].removesuffix(kind[:-1]) for entry in manifest[kind]}
        configured = {name.split("/")[0].replace("_", "") for name in config.get(kind, {})}
        assert configured <= built, f"{kind}: the chart configures {sorted(configured - built)}, not built"
        versions = {entry["gomod"].split()[1] for entry in manifest[kind]}
        assert versions == {f"v{manifest['dist']['version']}"}, kind
