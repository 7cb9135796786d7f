"""k8s/manifests is the chart rendered with its defaults (a drift test), and the chaos pod-killer is narrow."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from deploy.rendering import ROOT, load_objects, render_text

RENDERED = ROOT / "k8s" / "manifests" / "faultline.yaml"


def test_rendered_manifests_match_the_chart():
    on_disk = RENDERED.read_text().split("\n", 1)[1]          # minus the "do not edit" header line
    assert on_disk == render_text(None), "k8s/manifests drifted from the chart: run k8s/render-manifests.sh"


def test_kustomization_lists_files_that_exist():
    for folder in ("manifests", "chaos"):
        kustomization = yaml.safe_load((ROOT / "k8s" / folder / "kustomization.yaml").read_text())
        for resource in kustomization["resources"]:
            assert (ROOT / "k8s" / folder / resource).exists()
        for generator in kustomization.get("configMapGenerator", []):
            for name in generator["files"]:
                assert (ROOT / "k8s" / folder / name).exists()


def test_namespace_enforces_the_restricted_profile():
    namespace = yaml.safe_load((ROOT / "k8s" / "manifests" / "namespace.yaml").read_text())
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def chaos_objects():
    return {o["kind"]: o for o in load_objects((ROOT / "k8s" / "chaos" / "pod-killer.yaml").read_text())}


def test_chaos_role_only_lists_and_deletes_pods_in_its_namespace():
    objects = chaos_objects()
    assert "ClusterRole" not in objects and "ClusterRoleBinding" not in objects
    assert objects["Role"]["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "delete"]}]
    assert objects["RoleBinding"]["subjects"][0]["name"] == objects["ServiceAccount"]["metadata"]["name"]


def test_chaos_deletes_are_limited_to_labelled_pods_by_admission_policy():
    objects = chaos_objects()
    policy = objects["ValidatingAdmissionPolicy"]["spec"]
    account = f"system:serviceaccount:faultline:{objects['ServiceAccount']['metadata']['name']}"
    assert account in policy["matchConditions"][0]["expression"]
    assert "faultline.dev/chaos" in policy["validations"][0]["expression"]
    assert objects["ValidatingAdmissionPolicyBinding"]["spec"]["validationActions"] == ["Deny"]


def test_chaos_script_selects_the_label_the_chart_puts_on_services():
    script = (ROOT / "k8s" / "chaos" / "kill_one_pod.py").read_text()
    assert "faultline.dev/chaos=true" in script
    assert 'faultline.dev/chaos: "true"' in (ROOT / "charts/faultline/templates/services.yaml").read_text()
    compile(script, "kill_one_pod.py", "exec")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed (optional here)")
def test_kustomizations_build_with_kubectl():
    for folder in ("manifests", "chaos"):
        result = subprocess.run(["kubectl", "kustomize", str(ROOT / "k8s" / folder)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        kinds = [o["kind"] for o in load_objects(result.stdout)]
        if folder == "chaos":
            policy = next(o for o in load_objects(result.stdout) if o["kind"] == "ValidatingAdmissionPolicy")
            assert "namespace" not in policy["metadata"], "a cluster-scoped object must not get a namespace"
        assert kinds
