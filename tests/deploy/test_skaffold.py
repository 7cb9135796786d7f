"""skaffold.yaml (apiVersion skaffold/v4beta13) and the kind cluster, read without skaffold or kind.

The allowed keys are those of the v4beta13 schema for the parts this file uses, so a misspelt field fails here
as `skaffold` would fail on it; the rest checks that artifacts, Dockerfiles, contexts, chart values and
port-forwards all point at things that exist.
"""
from __future__ import annotations

import re

import pytest
import yaml

from deploy.rendering import ROOT, SERVICES, pod_spec, render, service_deployments

SKAFFOLD = yaml.safe_load((ROOT / "skaffold.yaml").read_text())
KIND = yaml.safe_load((ROOT / "k8s" / "kind-cluster.yaml").read_text())
VALUES = yaml.safe_load((ROOT / "charts" / "faultline" / "values.yaml").read_text())

# Fields of skaffold/v4beta13 (its JSON schema) for the objects this configuration uses.
ALLOWED = {
    "": {"apiVersion", "kind", "metadata", "requires", "build", "test", "render", "manifests", "deploy",
         "portForward", "resourceSelector", "verify", "customActions", "profiles"},
    "metadata": {"name", "labels", "annotations"},
    "build": {"artifacts", "insecureRegistries", "tagPolicy", "platforms", "local", "googleCloudBuild", "cluster"},
    "build.local": {"push", "tryImportMissing", "useDockerCLI", "useBuildkit", "concurrency"},
    "build.tagPolicy": {"gitCommit", "sha256", "envTemplate", "dateTime", "customTemplate", "inputDigest"},
    "artifact": {"image", "context", "sync", "requires", "hooks", "platforms", "runtimeType", "docker"},
    "artifact.docker": {"dockerfile", "target", "buildArgs", "network", "addHost", "cacheFrom", "cliFlags",
                        "pullParent", "noCache", "cacheTo", "squash", "secrets", "ssh"},
    "deploy": {"docker", "helm", "kpt", "kubectl", "cloudrun", "statusCheck", "statusCheckDeadlineSeconds",
               "tolerateFailuresUntilDeadline", "kubeContext", "logs", "transformableAllowList"},
    "deploy.helm": {"flags", "releases", "hooks"},
    "release": {"name", "chartPath", "remoteChart", "valuesFiles", "namespace", "version", "setValues",
                "setValueTemplates", "setFiles", "createNamespace", "wait", "recreatePods", "skipBuildDependencies",
                "skipTests", "useHelmSecrets", "repo", "upgradeOnChange", "overrides", "packaged", "dependsOn"},
    "portForward": {"resourceType", "resourceName", "namespace", "port", "address", "localPort"},
    "profile": {"name", "activation", "requiresAllActivations", "patches", "build", "test", "render", "manifests",
                "deploy", "portForward", "resourceSelector", "verify", "customActions"},
    "patch": {"op", "path", "from", "value"},
}


def keys_ok(obj: dict, kind: str) -> set[str]:
    return set(obj) - ALLOWED[kind]


def sanitized(image: str) -> str:
    """Artifact name as skaffold's templates spell it: /, -, . and : become _."""
    return re.sub(r"[/.:-]", "_", image)


def test_config_uses_only_v4beta13_fields():
    assert SKAFFOLD["apiVersion"] == "skaffold/v4beta13" and SKAFFOLD["kind"] == "Config"
    unknown = keys_ok(SKAFFOLD, "") | keys_ok(SKAFFOLD["metadata"], "metadata") | keys_ok(SKAFFOLD["build"], "build")
    unknown |= keys_ok(SKAFFOLD["build"]["local"], "build.local") | keys_ok(SKAFFOLD["build"]["tagPolicy"],
                                                                           "build.tagPolicy")
    for artifact in SKAFFOLD["build"]["artifacts"]:
        unknown |= keys_ok(artifact, "artifact") | keys_ok(artifact["docker"], "artifact.docker")
    unknown |= keys_ok(SKAFFOLD["deploy"], "deploy") | keys_ok(SKAFFOLD["deploy"]["helm"], "deploy.helm")
    for release in SKAFFOLD["deploy"]["helm"]["releases"]:
        unknown |= keys_ok(release, "release")
    for forward in SKAFFOLD["portForward"] + [p["value"] for prof in SKAFFOLD["profiles"] for p in prof["patches"]
                                              if p["path"].startswith("/portForward")]:
        unknown |= keys_ok(forward, "portForward")
    for profile in SKAFFOLD["profiles"]:
        unknown |= keys_ok(profile, "profile")
        for patch in profile["patches"]:
            unknown |= keys_ok(patch, "patch")
    assert unknown == set()


def test_images_are_built_locally_and_never_pushed():
    assert SKAFFOLD["build"]["local"]["push"] is False
    assert SKAFFOLD["deploy"]["kubeContext"] == f"kind-{KIND['name']}"


@pytest.mark.parametrize("service", SERVICES)
def test_artifact_builds_the_services_dockerfile_from_the_services_context(service):
    artifact = next(a for a in SKAFFOLD["build"]["artifacts"] if a["image"] == f"faultline/{service}")
    context = ROOT / artifact["context"]
    assert context == ROOT / "services" and context.is_dir()
    assert (context / artifact["docker"]["dockerfile"]).resolve() == ROOT / "services" / service / "Dockerfile"
    assert (context / "kit" / "pyproject.toml").exists(), "the context must carry the shared kit"


def test_artifacts_are_exactly_the_images_the_chart_deploys():
    chart_images = {VALUES["components"][name]["image"]["repository"] for name in VALUES["components"]}
    chart_images.add(VALUES["console"]["image"]["repository"])
    assert {a["image"] for a in SKAFFOLD["build"]["artifacts"]} == chart_images


def test_the_console_is_built_from_the_repository_root_and_reaches_its_container():
    artifact = next(a for a in SKAFFOLD["build"]["artifacts"] if a["image"] == "faultline/console")
    assert ROOT / artifact["context"] == ROOT
    assert (ROOT / artifact["docker"]["dockerfile"]).resolve() == ROOT / "services" / "console" / "Dockerfile"
    templates = SKAFFOLD["deploy"]["helm"]["releases"][0]["setValueTemplates"]
    assert templates["console.image.repository"] == "{{.IMAGE_REPO_faultline_console}}"
    assert templates["console.image.tag"] == "{{.IMAGE_TAG_faultline_console}}"
    objects = render(None, "console.image.repository=example/console", "console.image.tag=abc123")
    [console] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "faultline-console"]
    assert pod_spec(console)["containers"][0]["image"] == "example/console:abc123"


@pytest.mark.parametrize("service", SERVICES)
def test_each_artifact_sets_its_components_repository_and_tag(service):
    release = SKAFFOLD["deploy"]["helm"]["releases"][0]
    name = sanitized(f"faultline/{service}")
    templates = release["setValueTemplates"]
    assert templates[f"components.{service}.image.repository"] == f"{{{{.IMAGE_REPO_{name}}}}}"
    assert templates[f"components.{service}.image.tag"] == f"{{{{.IMAGE_TAG_{name}}}}}"
    # ... and those values reach the container: render with what skaffold would pass.
    objects = render(None, f"components.{service}.image.repository=example/{service}",
                     f"components.{service}.image.tag=abc123")
    container = pod_spec(service_deployments(objects)[service])["containers"][0]
    assert container["image"] == f"example/{service}:abc123"


def test_release_points_at_the_chart_and_profile_values_that_exist():
    release = SKAFFOLD["deploy"]["helm"]["releases"][0]
    assert (ROOT / release["chartPath"] / "Chart.yaml").exists()
    paths = [p["value"] for prof in SKAFFOLD["profiles"] for p in prof["patches"] if "valuesFiles" in p["path"]]
    assert {prof["name"] for prof in SKAFFOLD["profiles"]} >= {"dev", "loadtest"}
    assert paths and all((ROOT / path).exists() for path in paths)


def test_dev_profile_is_one_replica_without_network_policies():
    dev = yaml.safe_load((ROOT / "charts/faultline/ci/dev-values.yaml").read_text())
    assert dev["default"]["replicas"] == 1 and dev["networkPolicies"]["enabled"] is False


def test_loadtest_profile_turns_locust_on():
    loadtest = yaml.safe_load((ROOT / "charts/faultline/ci/loadtest-values.yaml").read_text())
    assert loadtest["locust"]["enabled"] is True


def test_port_forwards_name_services_and_ports_the_chart_creates():
    objects = render(None, "locust.enabled=true")
    services = {o["metadata"]["name"]: {p["port"] for p in o["spec"]["ports"]} for o in objects if o["kind"] == "Service"}
    forwards = SKAFFOLD["portForward"] + [p["value"] for prof in SKAFFOLD["profiles"] for p in prof["patches"]
                                          if p["path"].startswith("/portForward")]
    for forward in forwards:
        assert forward["resourceType"] == "service"
        assert forward["port"] in services[forward["resourceName"]], forward


def test_kind_maps_every_node_port_of_the_chart():
    mapped = {m["containerPort"] for node in KIND["nodes"] for m in node.get("extraPortMappings", [])}
    wanted = {port for key, port in VALUES["nodePorts"].items() if key != "enabled"}
    assert mapped == wanted
    assert [n["role"] for n in KIND["nodes"]] == ["control-plane", "worker", "worker"]
