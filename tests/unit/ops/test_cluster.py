"""The local Kubernetes' configuration and decisions: settings in, text or lists out. No I/O."""

import json
from pathlib import Path

import yaml

from faultline_ops.cluster import addons, configs, deploy, network, programs
from faultline_ops.cluster.layout import ClusterSettings


def make_cluster() -> ClusterSettings:
    return ClusterSettings(repo=Path("/repo"), home=Path("/state/cluster"), cache=Path("/cache"),
                           data=Path("/var/lib/faultline-cluster"))


def test_containerd_runs_on_its_own_socket_with_cgroupfs_and_a_locally_built_sandbox_image():
    text = configs.containerd_toml(make_cluster())
    assert 'address = "/var/lib/faultline-cluster/containerd.sock"' in text
    assert "SystemdCgroup = false" in text
    assert "restrict_oom_score_adj = true" in text
    assert 'sandbox_image = "registry.k8s.io/pause:3.10"' in text
    assert 'root = "/cache/cluster/containerd"' in text


def test_the_pod_network_is_one_bridge_without_masquerade():
    [bridge, _portmap] = json.loads(configs.cni_conflist(make_cluster()))["plugins"]
    assert bridge["bridge"] == "cni0" and bridge["isGateway"] and not bridge["ipMasq"]
    assert bridge["ipam"]["ranges"] == [[{"subnet": "10.244.0.0/24", "gateway": "10.244.0.1"}]]


def test_kubelet_is_told_this_host_is_cgroup_v1_without_systemd():
    config = yaml.safe_load(configs.kubelet_config(make_cluster()))
    assert config["cgroupDriver"] == "cgroupfs" and config["failCgroupV1"] is False
    assert config["clusterDNS"] == ["10.96.0.10"]
    assert config["containerRuntimeEndpoint"] == "unix:///var/lib/faultline-cluster/containerd.sock"


def test_pods_never_learn_an_upstream_resolver():
    assert "forward" not in configs.corefile()
    assert "nameserver" not in configs.resolv_conf()


def test_node_ports_answer_on_localhost_as_kind_maps_them():
    config = yaml.safe_load(configs.kube_proxy_config(make_cluster()))
    assert "127.0.0.0/8" in config["nodePortAddresses"] and config["iptables"]["localhostNodePorts"]


def test_the_guard_drops_what_would_leave_and_never_accepts():
    verdicts = [rule[rule.index("-j") + 1] for _, rule in network.GUARD_RULES]
    assert "ACCEPT" not in verdicts
    sources = [rule for _, rule in network.GUARD_RULES if "-s" in rule]
    assert any(rule[rule.index("-s") + 1] == "10.244.0.0/16" and "DROP" in rule for rule in sources)
    # loopback is let through first: kubectl reaches the API server on the node address via lo
    assert network.GUARD_RULES[0] == ("POSTROUTING", ("-o", "lo", "-j", "RETURN"))


def test_programs_start_in_dependency_order():
    rendered = {"containerd.toml": "", "kubelet.yaml": "", "kube-proxy.yaml": ""}
    order = [p.name for p in sorted(programs.all_programs(make_cluster(), rendered), key=lambda p: p.priority)]
    assert order[:3] == ["containerd", "etcd", "kube-apiserver"]
    assert order.index("kubelet") > order.index("kube-scheduler")
    assert set(order) >= {"kube-router", "local-path-provisioner", "kube-proxy"}


def test_the_api_server_binds_the_bridge_address_only():
    command = programs.kube_apiserver(make_cluster()).command
    assert "--bind-address=10.244.0.1" in command and "--service-cluster-ip-range=10.96.0.0/16" in command


def test_the_default_storage_class_is_kinds():
    [storage_class] = [o for o in addons.storage(make_cluster()) if o["kind"] == "StorageClass"]
    assert storage_class["metadata"]["name"] == "standard"
    assert storage_class["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert storage_class["provisioner"] == "rancher.io/local-path"


def test_coredns_runs_as_the_kube_dns_the_charts_policies_name():
    deployment = next(o for o in addons.coredns() if o["kind"] == "Deployment")
    assert deployment["spec"]["template"]["metadata"]["labels"] == {"k8s-app": "kube-dns"}
    service = next(o for o in addons.coredns() if o["kind"] == "Service")
    assert service["spec"]["clusterIP"] == "10.96.0.10"


def test_image_names_are_normalized_as_containerd_resolves_them():
    assert deploy.normalize("redis:7.0.15") == "docker.io/library/redis:7.0.15"
    assert deploy.normalize("faultline/cart:0.1.0") == "docker.io/faultline/cart:0.1.0"
    assert deploy.normalize("registry.k8s.io/pause:3.10") == "registry.k8s.io/pause:3.10"


def test_the_images_to_import_are_read_from_every_pod_template():
    objects = [
        {"kind": "Deployment", "spec": {"template": {"spec": {
            "initContainers": [{"image": "faultline/order:1"}], "containers": [{"image": "faultline/order:1"}]}}}},
        {"kind": "StatefulSet", "spec": {"template": {"spec": {"containers": [{"image": "apache/kafka:4.3.1"}]}}}},
        {"kind": "Service", "spec": {}},
    ]
    assert deploy.chart_images(objects) == ["docker.io/apache/kafka:4.3.1", "docker.io/faultline/order:1"]


def test_a_rebuilt_image_rolls_exactly_the_workloads_running_it():
    objects = [
        {"kind": "Deployment", "metadata": {"name": "faultline-order"},
         "spec": {"template": {"spec": {"containers": [{"image": "faultline/order:0.1.0"}]}}}},
        {"kind": "StatefulSet", "metadata": {"name": "faultline-redis"},
         "spec": {"template": {"spec": {"containers": [{"image": "redis:7.0.15"}]}}}},
        {"kind": "Job", "metadata": {"name": "faultline-topics"},
         "spec": {"template": {"spec": {"containers": [{"image": "faultline/order:0.1.0"}]}}}},
    ]
    assert deploy.workloads_using(objects, ["docker.io/faultline/order:0.1.0"]) == [("deployment", "faultline-order")]
