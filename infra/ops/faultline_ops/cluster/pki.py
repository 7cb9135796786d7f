"""Certificates and kubeconfigs, made by kubeadm's own phases (only those: no preflight, no static pods)."""

from __future__ import annotations

import subprocess

from faultline_ops.cluster.configs import kubeadm_yaml
from faultline_ops.cluster.layout import ClusterSettings

# kubeconfigs kubeadm writes (admin: the person; super-admin: bootstraps RBAC; the rest: one per component).
KUBEADM_KUBECONFIGS = ("admin", "super-admin", "kubelet", "controller-manager", "scheduler")
# Client identities the bootstrap RBAC policy already knows, for components kubeadm runs with tokens instead.
USER_KUBECONFIGS = {"kube-proxy": "system:kube-proxy"}


def ensure(cluster: ClusterSettings) -> None:
    """Create what is missing; an existing PKI is kept, so a restarted cluster keeps its identity."""
    config = cluster.configs / "kubeadm.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(kubeadm_yaml(cluster))
    kubeadm = cluster.binary("kubeadm")
    if not (cluster.pki / "ca.crt").exists() or not (cluster.pki / "sa.key").exists():
        subprocess.run([kubeadm, "init", "phase", "certs", "all", "--config", str(config)],
                       check=True, capture_output=True, text=True)
    kubeconfigs = cluster.component_kubeconfig("admin").parent
    kubeconfigs.mkdir(parents=True, exist_ok=True)
    if not all((kubeconfigs / f"{name}.conf").exists() for name in KUBEADM_KUBECONFIGS):
        subprocess.run([kubeadm, "init", "phase", "kubeconfig", "all", "--config", str(config),
                        "--kubeconfig-dir", str(kubeconfigs)], check=True, capture_output=True, text=True)
    for component, user in USER_KUBECONFIGS.items():
        path = cluster.component_kubeconfig(component)
        if not path.exists():
            made = subprocess.run([kubeadm, "kubeconfig", "user", "--config", str(config), "--client-name", user],
                                  check=True, capture_output=True, text=True)
            path.write_text(made.stdout)
    cluster.kubeconfig.write_text(cluster.component_kubeconfig("admin").read_text())
    for path in [cluster.kubeconfig, *kubeconfigs.iterdir()]:
        path.chmod(0o600)
