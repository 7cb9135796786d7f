"""The cluster's configuration files, rendered from ClusterSettings: pure functions, no I/O."""

from __future__ import annotations

import json

import yaml

from faultline_ops.cluster.layout import (API_PORT, BRIDGE, CLUSTER_DOMAIN, DNS_SERVICE_IP, KUBERNETES_VERSION,
                                          NODE_IP, NODE_NAME, POD_CIDR, SANDBOX_IMAGE, SERVICE_CIDR,
                                          ClusterSettings)

CNI_BIN_DIR = "/usr/lib/cni"   # Debian's containernetworking-plugins


def containerd_toml(cluster: ClusterSettings) -> str:
    """containerd 1.6 (Debian) as a CRI for kubelet, on its own socket, root and state: never the machine's.

    cgroupfs, not systemd (no systemd here, cgroup v1); `restrict_oom_score_adj`: root here lacks CAP_SYS_RESOURCE,
    so runc cannot lower a container's oom_score_adj below its own and every sandbox would fail.
    """
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    return f"""\
# Rendered by faultline_ops.cluster.configs; edits are overwritten by `faultline cluster up`.
version = 2
root = "{cluster.containerd_root}"
state = "{cluster.containerd_state}"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{cluster.containerd_socket}"

[ttrpc]
  address = "{cluster.containerd_socket}.ttrpc"

[{cri}]
  sandbox_image = "{SANDBOX_IMAGE}"
  restrict_oom_score_adj = true
  enable_selinux = false
  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [{cri}.cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{cluster.cni_conf_dir}"
"""


def cni_conflist(cluster: ClusterSettings) -> str:
    """One bridge with host-local addresses; no IP masquerade (nothing is meant to leave the machine)."""
    return json.dumps({
        "cniVersion": "0.4.0",
        "name": "faultline",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(cluster.cni_leases),
                    "ranges": [[{"subnet": POD_CIDR, "gateway": NODE_IP}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }, indent=2) + "\n"


def kubeadm_yaml(cluster: ClusterSettings) -> str:
    """Read only by `kubeadm init phase certs|kubeconfig`: kubeadm makes the PKI, nothing else."""
    init = {
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "InitConfiguration",
        "localAPIEndpoint": {"advertiseAddress": NODE_IP, "bindPort": API_PORT},
        "nodeRegistration": {"name": NODE_NAME},
    }
    config = {
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "ClusterConfiguration",
        "kubernetesVersion": KUBERNETES_VERSION,
        "clusterName": "faultline",
        "certificatesDir": str(cluster.pki),
        "controlPlaneEndpoint": f"{NODE_IP}:{API_PORT}",
        "networking": {"serviceSubnet": SERVICE_CIDR, "podSubnet": POD_CIDR, "dnsDomain": CLUSTER_DOMAIN},
        "apiServer": {"certSANs": ["127.0.0.1", "localhost", NODE_IP]},
    }
    return yaml.safe_dump_all([init, config], sort_keys=False)


def kubelet_config(cluster: ClusterSettings) -> str:
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": NODE_IP,
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(cluster.pki / "ca.crt")},
        },
        "authorization": {"mode": "Webhook"},
        # cgroup v1 host, no systemd: kubelet 1.35+ refuses cgroup v1 by default; 1.34 needs this to be said.
        "cgroupDriver": "cgroupfs",
        "failCgroupV1": False,
        "containerRuntimeEndpoint": f"unix://{cluster.containerd_socket}",
        "clusterDNS": [DNS_SERVICE_IP],
        "clusterDomain": CLUSTER_DOMAIN,
        # Pods must never learn the machine's own resolvers: ClusterFirst pods ask CoreDNS only, which has no
        # upstream; a pod with dnsPolicy Default gets this empty file.
        "resolvConf": str(cluster.configs / "resolv.conf"),
        "staticPodPath": "",
        "failSwapOn": False,
        "serializeImagePulls": False,
        "imageGCHighThresholdPercent": 100,
        "evictionHard": {"memory.available": "200Mi", "nodefs.available": "1%", "imagefs.available": "1%"},
        "protectKernelDefaults": False,
        "maxPods": 110,
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
        "shutdownGracePeriod": "0s",
        "localStorageCapacityIsolation": True,
    }
    return yaml.safe_dump(config, sort_keys=False)


def kube_proxy_config(cluster: ClusterSettings) -> str:
    config = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",
        "clientConnection": {"kubeconfig": str(cluster.component_kubeconfig("kube-proxy"))},
        "clusterCIDR": POD_CIDR,
        "hostnameOverride": NODE_NAME,
        "bindAddress": "127.0.0.1",
        "healthzBindAddress": "127.0.0.1:10256",
        "metricsBindAddress": "127.0.0.1:10249",
        # NodePorts on 127.0.0.1 too, as kind maps them to the laptop's localhost.
        "nodePortAddresses": ["127.0.0.0/8", f"{NODE_IP}/32"],
        "iptables": {"localhostNodePorts": True, "masqueradeAll": False},
        "conntrack": {"maxPerCore": 0},
    }
    return yaml.safe_dump(config, sort_keys=False)


def corefile() -> str:
    """Cluster names only: no `forward`, so a pod's lookup of any other name never leaves the machine."""
    return f"""\
.:53 {{
    errors
    health :8080
    ready :8181
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        pods insecure
        ttl 30
    }}
    cache 30
    loop
    reload
}}
"""


def resolv_conf() -> str:
    return "# Pods with dnsPolicy Default get no resolver of the machine's (see kubelet_config).\noptions ndots:1\n"
