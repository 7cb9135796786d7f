"""The node's processes, as supervisord programs: supervisord restarts a crashed one, and stops them all, in
reverse order, on cluster-down."""

from __future__ import annotations

from faultline_ops.cluster.layout import (API_PORT, CLUSTER_DOMAIN, ETCD_CLIENT_PORT, ETCD_PEER_PORT, NODE_IP,
                                          NODE_NAME, POD_NETWORK, SERVICE_CIDR, ClusterSettings)
from faultline_ops.render.program import Program, config_fingerprint

STORAGE_NAMESPACE = "local-path-storage"
STORAGE_SERVICE_ACCOUNT = "local-path-provisioner"
STORAGE_CONFIGMAP = "local-path-config"
PROVISIONER_NAME = "rancher.io/local-path"


def _command(*parts: str) -> str:
    return " ".join(parts)


def _program(cluster: ClusterSettings, name: str, command: str, priority: int, port: int,
             fingerprint: tuple[str, ...] = ()) -> Program:
    return Program(name=name, command=command, directory=cluster.home, port=port, probe="cluster",
                   priority=priority, environment=config_fingerprint(*fingerprint) if fingerprint else ())


def containerd(cluster: ClusterSettings, config_text: str) -> Program:
    return _program(cluster, "containerd",
                    _command("/usr/bin/containerd", "--config", str(cluster.configs / "containerd.toml")),
                    10, 0, (config_text,))


def etcd(cluster: ClusterSettings) -> Program:
    peer = f"http://127.0.0.1:{ETCD_PEER_PORT}"
    client = f"http://127.0.0.1:{ETCD_CLIENT_PORT}"
    return _program(cluster, "etcd", _command(
        cluster.binary("etcd"), "--name", NODE_NAME, "--data-dir", str(cluster.etcd_data),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", f"{NODE_NAME}={peer}", "--initial-cluster-state", "new",
        "--quota-backend-bytes", str(2 * 1024 ** 3), "--log-level", "warn"), 20, ETCD_CLIENT_PORT)


def kube_apiserver(cluster: ClusterSettings) -> Program:
    pki = cluster.pki
    return _program(cluster, "kube-apiserver", _command(
        cluster.binary("kube-apiserver"),
        f"--advertise-address={NODE_IP}", f"--bind-address={NODE_IP}", f"--secure-port={API_PORT}",
        f"--etcd-servers={cluster.etcd_url}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true", "--anonymous-auth=true",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--kubelet-client-certificate={pki / 'apiserver-kubelet-client.crt'}",
        f"--kubelet-client-key={pki / 'apiserver-kubelet-client.key'}",
        "--kubelet-preferred-address-types=InternalIP",
        f"--proxy-client-cert-file={pki / 'front-proxy-client.crt'}",
        f"--proxy-client-key-file={pki / 'front-proxy-client.key'}",
        f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
        "--requestheader-allowed-names=front-proxy-client", "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--requestheader-group-headers=X-Remote-Group", "--requestheader-username-headers=X-Remote-User",
        f"--service-account-issuer=https://kubernetes.default.svc.{CLUSTER_DOMAIN}",
        f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--profiling=false", "--v=0"), 30, API_PORT)


def _component_auth(cluster: ClusterSettings, component: str) -> list[str]:
    kubeconfig = cluster.component_kubeconfig(component)
    return [f"--kubeconfig={kubeconfig}", f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}", "--bind-address=127.0.0.1", "--leader-elect=false",
            "--profiling=false"]


def kube_controller_manager(cluster: ClusterSettings) -> Program:
    pki = cluster.pki
    return _program(cluster, "kube-controller-manager", _command(
        cluster.binary("kube-controller-manager"), *_component_auth(cluster, "controller-manager"),
        "--controllers=*,bootstrapsigner,tokencleaner", "--use-service-account-credentials=true",
        f"--root-ca-file={pki / 'ca.crt'}", f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--cluster-signing-cert-file={pki / 'ca.crt'}", f"--cluster-signing-key-file={pki / 'ca.key'}",
        f"--requestheader-client-ca-file={pki / 'front-proxy-ca.crt'}",
        # The node gets 10.244.0.0/24, the range the bridge plugin hands out.
        "--allocate-node-cidrs=true", f"--cluster-cidr={POD_NETWORK}", "--node-cidr-mask-size=24",
        f"--service-cluster-ip-range={SERVICE_CIDR}"), 40, 10257)


def kube_scheduler(cluster: ClusterSettings) -> Program:
    return _program(cluster, "kube-scheduler", _command(
        cluster.binary("kube-scheduler"), *_component_auth(cluster, "scheduler")), 40, 10259)


def kubelet(cluster: ClusterSettings, config_text: str) -> Program:
    return _program(cluster, "kubelet", _command(
        cluster.binary("kubelet"), f"--config={cluster.configs / 'kubelet.yaml'}",
        f"--kubeconfig={cluster.component_kubeconfig('kubelet')}",
        f"--node-ip={NODE_IP}", f"--hostname-override={NODE_NAME}",
        f"--root-dir={cluster.kubelet_root}", f"--cert-dir={cluster.pki / 'kubelet'}", "--v=0"),
        50, 10250, (config_text,))


def kube_proxy(cluster: ClusterSettings, config_text: str) -> Program:
    return _program(cluster, "kube-proxy", _command(
        cluster.binary("kube-proxy"), f"--config={cluster.configs / 'kube-proxy.yaml'}"), 60, 10256, (config_text,))


def network_policy_enforcer(cluster: ClusterSettings) -> Program:
    """kube-router's firewall alone (iptables + ipset): no routing, no service proxy, no CNI of its own."""
    return _program(cluster, "kube-router", _command(
        cluster.binary("kube-router"), f"--kubeconfig={cluster.kubeconfig}", f"--hostname-override={NODE_NAME}",
        "--run-firewall=true", "--run-router=false", "--run-service-proxy=false", "--enable-cni=false",
        "--enable-ipv4=true", "--enable-ipv6=false", "--health-port=0", "--metrics-port=0",
        f"--service-cluster-ip-range={SERVICE_CIDR}", "--iptables-sync-period=30s", "--v=1"), 70, 0)


def storage_provisioner(cluster: ClusterSettings) -> Program:
    """local-path-provisioner, as on kind: PVCs of the `standard` class become folders under the volumes dir."""
    return _program(cluster, "local-path-provisioner", _command(
        cluster.binary("local-path-provisioner"), "start", f"--kubeconfig={cluster.kubeconfig}",
        f"--namespace={STORAGE_NAMESPACE}", f"--service-account-name={STORAGE_SERVICE_ACCOUNT}",
        f"--configmap-name={STORAGE_CONFIGMAP}", f"--provisioner-name={PROVISIONER_NAME}",
        f"--helper-image={helper_image()}"), 80, 0)


def helper_image() -> str:
    """The image local-path-provisioner's helper pods (mkdir, rm -rf on the node) run: busybox, built here."""
    return "docker.io/library/busybox:1.35.0"


def all_programs(cluster: ClusterSettings, rendered: dict[str, str]) -> list[Program]:
    return [
        containerd(cluster, rendered["containerd.toml"]),
        etcd(cluster),
        kube_apiserver(cluster),
        kube_controller_manager(cluster),
        kube_scheduler(cluster),
        kubelet(cluster, rendered["kubelet.yaml"]),
        kube_proxy(cluster, rendered["kube-proxy.yaml"]),
        network_policy_enforcer(cluster),
        storage_provisioner(cluster),
    ]

