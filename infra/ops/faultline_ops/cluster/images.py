"""Images into the node's containerd: built with podman on this machine (nothing can be pulled) and imported by
infra/images/import.sh under the exact names the pods ask for. An image is imported again only when podman holds
another build of it than the one imported last."""

from __future__ import annotations

import json
import os
import subprocess
import time

from faultline_ops.cluster import kube
from faultline_ops.cluster.layout import ClusterSettings
from faultline_ops.errors import StackError


def podman_id(name: str) -> str:
    """podman's image id (the config digest), or '' when podman does not hold `name`."""
    result = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", name],
                            check=False, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def podman_build_of(name: str) -> str:
    """The id of the build import.sh would import for `name` (podman keeps `podman build -t faultline/x` as
    localhost/faultline/x)."""
    return podman_id(name) or podman_id("localhost/" + name.removeprefix("docker.io/"))


def import_image(cluster: ClusterSettings, name: str) -> float:
    start = time.monotonic()
    env = {**os.environ, "CONTAINERD_ADDRESS": str(cluster.containerd_socket)}
    result = subprocess.run(["bash", str(cluster.repo / "infra" / "images" / "import.sh"), name],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"importing {name} into containerd failed: {result.stderr.strip()}")
    return time.monotonic() - start


def import_missing(cluster: ClusterSettings, names: list[str]) -> list[str]:
    """Import each image containerd lacks or holds in another build than podman's; returns those imported."""
    record_path = cluster.home / "imported-images.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    have = kube.images(cluster)
    imported = []
    for name in names:
        wanted = podman_build_of(name)
        if not wanted:
            raise StackError(f"image {name} is not in podman's storage: build it first "
                             f"(make images, make infra-images; infra/cluster/bootstrap.sh for the node's own)")
        if name in have and record.get(name) == wanted:
            continue
        seconds = import_image(cluster, name)
        record[name] = wanted
        record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        imported.append(name)
        print(f"cluster: imported {name} into containerd ({seconds:.1f} s)", flush=True)
    return imported
