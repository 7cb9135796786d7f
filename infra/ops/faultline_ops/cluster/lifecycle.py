"""`faultline cluster up` and `down`: start the node in order, wait for each layer, and undo all of it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from faultline_ops import supervisor
from faultline_ops.cluster import addons, configs, kube, network, pki
from faultline_ops.cluster.deploy import forward_programs
from faultline_ops.cluster.images import import_missing
from faultline_ops.cluster.layout import NODE_NAME, ClusterSettings
from faultline_ops.cluster.programs import all_programs
from faultline_ops.errors import StackError
from faultline_ops.probes import tcp_open, wait_until
from faultline_ops.render.supervisor import render

REQUIRED_BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
                     "kubectl", "kubeadm", "kube-router", "local-path-provisioner")
NETNS_DIR = Path("/var/run/netns")


def say(message: str) -> None:
    print(f"cluster: {message}", flush=True)


def _elapsed(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"


def rendered_files(cluster: ClusterSettings) -> dict[Path, str]:
    return {
        cluster.configs / "containerd.toml": configs.containerd_toml(cluster),
        cluster.cni_conf_dir / "10-faultline.conflist": configs.cni_conflist(cluster),
        cluster.configs / "kubelet.yaml": configs.kubelet_config(cluster),
        cluster.configs / "kube-proxy.yaml": configs.kube_proxy_config(cluster),
        cluster.configs / "resolv.conf": configs.resolv_conf(),
    }


def _write_configs(cluster: ClusterSettings) -> dict[str, str]:
    files = rendered_files(cluster)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {path.name: text for path, text in files.items()}


def forwarding_flag(cluster: ClusterSettings) -> Path:
    return cluster.home / "forwarding"


def write_supervisor_conf(cluster: ClusterSettings) -> None:
    """The node's programs, plus the port-forwards while `faultline cluster forward` has them on."""
    programs = all_programs(cluster, _write_configs(cluster))
    if forwarding_flag(cluster).exists():
        programs += forward_programs(cluster)
    cluster.supervisor_conf.write_text(render(cluster, programs))


def forward(cluster: ClusterSettings, stop: bool = False) -> None:
    """Turn the port-forwards on (or off) in the running node's supervisord."""
    if not supervisor.is_running(cluster):
        raise StackError("the cluster is not up: run make cluster-up")
    flag = forwarding_flag(cluster)
    if stop:
        flag.unlink(missing_ok=True)
    else:
        flag.write_text("on\n")
    write_supervisor_conf(cluster)
    supervisor.apply_config(cluster)
    if stop:
        say("port-forwards stopped")
        return
    programs = forward_programs(cluster)
    _wait("port-forwards", lambda: all(tcp_open("127.0.0.1", p.port) for p in programs), 60,
          str(cluster.logs))
    for program in programs:
        print(f"  {program.name.removeprefix('forward-'):<10} http://127.0.0.1:{program.port}")
    print("Each is restarted by supervisord when its pod goes; stop them: make cluster-forward FORWARD_ARGS=--stop")


def _check_binaries(cluster: ClusterSettings) -> None:
    missing = [name for name in REQUIRED_BINARIES if not (cluster.bin / name).is_file()]
    if missing:
        raise StackError(f"missing in {cluster.bin}: {', '.join(missing)}; run `make cluster-up` "
                         f"(it runs infra/cluster/bootstrap.sh first)")
    if os.geteuid() != 0:
        raise StackError("the cluster needs root (containerd, kubelet, iptables, the bridge)")


def _wait(what: str, check, deadline_s: float, log: str | None = None) -> None:
    start = time.monotonic()
    if not wait_until(check, deadline_s, interval_s=0.5):
        hint = f"; see {log}" if log else ""
        raise StackError(f"{what} not ready after {deadline_s:.0f} s{hint}")
    say(f"{what} ready ({_elapsed(start)})")


def _node_ready(cluster: ClusterSettings) -> bool:
    result = kube.kubectl(cluster, "get", "node", NODE_NAME, "-o",
                          "jsonpath={.status.conditions[?(@.type=='Ready')].status}", check=False, timeout=10)
    return result.stdout.strip() == "True"


def _deployment_ready(cluster: ClusterSettings, namespace: str, name: str) -> bool:
    result = kube.kubectl(cluster, "-n", namespace, "get", "deployment", name, "-o",
                          "jsonpath={.status.readyReplicas}", check=False, timeout=10)
    return result.stdout.strip() not in ("", "0")


def _record_netns(cluster: ClusterSettings) -> None:
    """The network namespaces that existed before the cluster: cluster-down deletes only the ones it made."""
    record = cluster.home / "netns-before.json"
    if not record.exists():
        names = sorted(p.name for p in NETNS_DIR.iterdir()) if NETNS_DIR.is_dir() else []
        record.write_text(json.dumps(names) + "\n")


def up(cluster: ClusterSettings) -> None:
    start = time.monotonic()
    _check_binaries(cluster)
    if not supervisor.is_running(cluster) and cluster.data.exists():
        # A cluster whose processes were killed (not stopped with cluster-down) left mounts, network namespaces,
        # rules and state behind: start from a clean node.
        say("cleaning up what an earlier cluster left behind")
        down(cluster)
    for folder in (cluster.home, cluster.logs, cluster.configs, cluster.data, cluster.volumes, cluster.cni_leases):
        folder.mkdir(parents=True, exist_ok=True)
    _record_netns(cluster)
    network.set_sysctls(cluster.home / "sysctls-before.json")
    network.bridge_up()
    network.install_guard()
    pki.ensure(cluster)
    write_supervisor_conf(cluster)
    if supervisor.is_running(cluster):
        supervisor.apply_config(cluster)
    else:
        supervisor.start(cluster)
    _wait("containerd", lambda: kube.containerd_answers(cluster), 180, str(cluster.logs / "containerd.log"))
    import_missing(cluster, addons.node_images())
    _wait("API server", lambda: kube.api_ready(cluster), 180, str(cluster.logs / "kube-apiserver.log"))
    kube.apply(cluster, addons.admin_binding(), kubeconfig=str(cluster.component_kubeconfig("super-admin")))
    kube.apply(cluster, addons.manifests(cluster))
    _wait("node", lambda: _node_ready(cluster), 180, str(cluster.logs / "kubelet.log"))
    _wait("CoreDNS", lambda: _deployment_ready(cluster, "kube-system", "coredns"), 180)
    say(f"up in {_elapsed(start)}")
    print(usage(cluster))


def usage(cluster: ClusterSettings) -> str:
    return f"""
A single-node Kubernetes {kube_version(cluster)} is running on this machine.
  export KUBECONFIG={cluster.kubeconfig}
  export PATH={cluster.bin}:{cluster.tools_bin}:$PATH     # kubectl, helm
  kubectl get nodes,pods -A
Next: make cluster-deploy (images + helm upgrade --install), make cluster-forward, make cluster-test.
Logs: {cluster.logs}/   Stop: make cluster-down
"""


def kube_version(cluster: ClusterSettings) -> str:
    result = subprocess.run([cluster.binary("kubelet"), "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip().split()[-1] if result.stdout.strip() else "?"


# --- down -----------------------------------------------------------------------------------------------------

def _stop_pods(cluster: ClusterSettings) -> None:
    """Kill every container containerd runs for the cluster and remove them (images stay in the cache)."""
    if not kube.containerd_answers(cluster):
        return
    tasks = kube.ctr(cluster, "tasks", "list", "--quiet", check=False).stdout.decode().split()
    for task in tasks:
        kube.ctr(cluster, "tasks", "kill", "--signal", "SIGKILL", task, check=False)
    wait_until(lambda: not kube.ctr(cluster, "tasks", "list", "--quiet", check=False).stdout.strip(), 20)
    for task in tasks:
        kube.ctr(cluster, "tasks", "delete", "--force", task, check=False)
    containers = kube.ctr(cluster, "containers", "list", "--quiet", check=False).stdout.decode().split()
    if containers:
        kube.ctr(cluster, "containers", "delete", *containers, check=False)


def _leftover_pids(cluster: ClusterSettings) -> list[int]:
    """Processes still using the cluster's containerd socket or folders (shims, and what they ran)."""
    markers = (str(cluster.containerd_socket), str(cluster.data), str(cluster.bin))
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        try:
            cgroups = (proc / "cgroup").read_text()
        except OSError:
            cgroups = ""
        if any(marker in cmdline for marker in markers) or "/kubepods" in cgroups:
            pids.append(int(proc.name))
    return pids


def _kill_leftovers(cluster: ClusterSettings) -> None:
    for pid in _leftover_pids(cluster):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not _leftover_pids(cluster), 10)


def _mounts_under(roots: list[Path]) -> list[str]:
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == str(root) or point.startswith(f"{root}/") for root in roots):
            points.append(point)
    return sorted(points, key=len, reverse=True)


def _unmount(cluster: ClusterSettings, new_netns: list[Path]) -> None:
    roots = [cluster.data, cluster.containerd_root, *new_netns]
    for point in _mounts_under(roots):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def _new_netns(cluster: ClusterSettings) -> list[Path]:
    record = cluster.home / "netns-before.json"
    before = set(json.loads(record.read_text())) if record.exists() else set()
    if not NETNS_DIR.is_dir():
        return []
    return [p for p in NETNS_DIR.iterdir() if p.name not in before and p.name.startswith("cni-")]


def _remove_netns(namespaces: list[Path]) -> None:
    for path in namespaces:
        subprocess.run(["ip", "netns", "delete", path.name], check=False, capture_output=True)
        path.unlink(missing_ok=True)


def _remove_cgroups() -> None:
    """kubelet's kubepods hierarchy in every cgroup v1 controller, leaves first."""
    for controller in Path("/sys/fs/cgroup").iterdir():
        tree = controller / "kubepods"
        if not tree.is_dir():
            continue
        folders = sorted((p for p in tree.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
        for folder in [*folders, tree]:
            try:
                folder.rmdir()   # a cgroup folder goes with rmdir once it has no children and no tasks
            except OSError:
                pass


def _clean_iptables(cluster: ClusterSettings) -> None:
    for command in ([cluster.binary("kube-proxy"), "--cleanup"], [cluster.binary("kube-router"), "--cleanup-config"]):
        if Path(command[0]).exists():
            subprocess.run(command, check=False, capture_output=True, timeout=60)
    network.remove_guard()
    network.remove_chains()
    network.remove_ipsets()


def down(cluster: ClusterSettings) -> None:
    start = time.monotonic()
    running = supervisor.is_running(cluster)
    if running:
        supervisor.ctl(cluster, "stop", "forwards:*", check=False)
        for name in ("local-path-provisioner", "kube-router", "kube-proxy", "kubelet"):
            supervisor.ctl(cluster, "stop", name, check=False)
        _stop_pods(cluster)
        supervisor.shutdown(cluster)
    _kill_leftovers(cluster)
    namespaces = _new_netns(cluster)
    _unmount(cluster, namespaces)
    _remove_netns(namespaces)
    _remove_cgroups()
    _clean_iptables(cluster)
    network.bridge_down()
    network.restore_sysctls(cluster.home / "sysctls-before.json")
    (cluster.home / "netns-before.json").unlink(missing_ok=True)
    forwarding_flag(cluster).unlink(missing_ok=True)
    if cluster.data.exists():
        shutil.rmtree(cluster.data, ignore_errors=True)
    say(f"down in {_elapsed(start)}" if running else f"nothing was running; cleaned up in {_elapsed(start)}")
