"""Every rendered object against the Kubernetes OpenAPI schemas of 1.31 and 1.34, strict (unknown fields fail).

kubernetes-validate ships the schemas, so this runs offline. Covers every ci/*-values.yaml case, the rendered
k8s/manifests and the chaos pod-killer.
"""
from __future__ import annotations


import kubernetes_validate
import pytest
import yaml

from deploy.rendering import CASES, ROOT, load_objects, render

VERSIONS = ("1.31.0", "1.34.0")


def manifests_objects(folder: str) -> list[dict]:
    """What `kubectl apply -k k8s/<folder>` would send, built without kubectl: the listed resource files."""
    kustomization = yaml.safe_load((ROOT / "k8s" / folder / "kustomization.yaml").read_text())
    objects = []
    for resource in kustomization["resources"]:
        objects += load_objects((ROOT / "k8s" / folder / resource).read_text())
    return objects


def failures(objects: list[dict], version: str) -> list[str]:
    found = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            found.append(f"{obj['kind']}/{obj['metadata']['name']}: {error.message} at {list(error.path)}")
    return found


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", CASES)
def test_rendered_chart_is_valid(case, version):
    objects = render(case)
    assert objects
    assert failures(objects, version) == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("folder", ["manifests", "chaos"])
def test_k8s_folder_is_valid(folder, version):
    objects = manifests_objects(folder)
    assert objects
    assert failures(objects, version) == []
