"""Where the cluster keeps its state and which addresses it uses: one frozen dataclass, built when asked for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from faultline_ops.settings import SupervisedHome, repo_root

KUBERNETES_VERSION = "v1.34.4"
# Addresses: the pods' bridge and its gateway are the node; Services live in their own range. Nothing here uses
# the machine's own interface, and network.py makes sure nothing from these ranges leaves through it.
BRIDGE = "cni0"
POD_CIDR = "10.244.0.0/24"            # the node's share, handed out by the bridge plugin
POD_NETWORK = "10.244.0.0/16"         # the cluster's pod range (the node gets POD_CIDR of it)
NODE_IP = "10.244.0.1"
SERVICE_CIDR = "10.96.0.0/16"
API_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
CLUSTER_DOMAIN = "cluster.local"
API_PORT = 6443
# etcd listens on loopback only, away from the default ports a developer's own etcd may use.
ETCD_CLIENT_PORT = 12379
ETCD_PEER_PORT = 12380
NODE_NAME = "faultline-node"
# The pause image containerd's CRI starts every pod sandbox from (built here: nothing can be pulled).
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
# kind's default StorageClass: the chart's PVCs (storageClassName "") get it here as they do on kind.
STORAGE_CLASS = "standard"


@dataclass(frozen=True)
class ClusterSettings(SupervisedHome):
    repo: Path
    home: Path      # configs, certificates, kubeconfigs, logs, supervisord: <repo>/.run/cluster
    cache: Path     # built binaries (cache/cluster/bin) and containerd's image store, kept across cluster-down
    data: Path      # kubelet's root, containerd's state, CNI leases and volumes: removed by cluster-down

    # --- the cluster's own files ---
    @property
    def bin(self) -> Path:
        return self.cache / "cluster" / "bin"

    @property
    def tools_bin(self) -> Path:
        """helm and the other Go tools bootstrap installs for the whole project."""
        return self.cache / "bin"

    def binary(self, name: str) -> str:
        return str(self.bin / name)

    @property
    def pki(self) -> Path:
        return self.home / "pki"

    @property
    def kubeconfig(self) -> Path:
        """The administrator's kubeconfig, the one a person uses (kubectl, helm, the chaos runner)."""
        return self.home / "kubeconfig"

    def component_kubeconfig(self, component: str) -> Path:
        return self.home / "kubeconfigs" / f"{component}.conf"

    @property
    def configs(self) -> Path:
        return self.home / "config"

    @property
    def containerd_root(self) -> Path:
        return self.cache / "cluster" / "containerd"

    @property
    def containerd_state(self) -> Path:
        return self.data / "containerd-state"

    @property
    def containerd_socket(self) -> Path:
        return self.data / "containerd.sock"

    @property
    def kubelet_root(self) -> Path:
        return self.data / "kubelet"

    @property
    def cni_conf_dir(self) -> Path:
        return self.configs / "cni"

    @property
    def cni_leases(self) -> Path:
        return self.data / "cni"

    @property
    def volumes(self) -> Path:
        """Where the storage provisioner creates each PersistentVolume's folder."""
        return self.data / "volumes"

    @property
    def etcd_data(self) -> Path:
        return self.data / "etcd"

    @property
    def api_server_url(self) -> str:
        return f"https://{NODE_IP}:{API_PORT}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{ETCD_CLIENT_PORT}"

    def tool_env(self) -> dict[str, str]:
        """The environment kubectl and helm run with: the cluster's kubeconfig, the cached binaries first."""
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["PATH"] = f"{self.bin}:{self.tools_bin}:{env.get('PATH', '')}"
        return env


def from_env(env: Mapping[str, str] | None = None) -> ClusterSettings:
    env = os.environ if env is None else env
    repo = repo_root()
    home = Path(env.get("FAULTLINE_CLUSTER_HOME") or repo / ".run" / "cluster")
    cache = Path(env.get("FAULTLINE_CACHE") or Path.home() / ".cache" / "faultline")
    # Fixed and short: kubelet's plugin sockets must fit a Unix socket path, whatever folder the repo is in.
    data = Path(env.get("FAULTLINE_CLUSTER_DATA") or "/var/lib/faultline-cluster")
    return ClusterSettings(repo=repo, home=home.resolve(), cache=cache, data=data)
