"""The node's network: a bridge the pods hang off, and rules that keep every packet of theirs on this machine.

Set up before anything binds to the node address, torn down last. The guard lives in the mangle table, which
kube-proxy and the NetworkPolicy enforcer leave alone: it sees every packet before their filter-table ACCEPTs can,
whatever order their chains are inserted in, and it never ACCEPTs anything itself (it only drops or returns).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

from faultline_ops.cluster.layout import BRIDGE, NODE_IP, POD_CIDR, POD_NETWORK, SERVICE_CIDR

GUARD_CHAIN = "FAULTLINE-CLUSTER-GUARD"
# (built-in mangle chain, rule) in order. Loopback stays loopback (kubectl -> the API server on the node address
# goes through lo); anything else from or to the pod network or the Service range leaves only through the bridge.
GUARD_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("POSTROUTING", ("-o", "lo", "-j", "RETURN")),
    ("POSTROUTING", ("-s", POD_NETWORK, "!", "-o", BRIDGE, "-j", "DROP")),
    ("POSTROUTING", ("-d", POD_NETWORK, "!", "-o", BRIDGE, "-j", "DROP")),
    ("POSTROUTING", ("-d", SERVICE_CIDR, "!", "-o", BRIDGE, "-j", "DROP")),
    ("FORWARD", ("-i", BRIDGE, "!", "-o", BRIDGE, "-j", "DROP")),
)
# The sysctls the node needs; the values they had before are saved so cluster-down puts them back.
SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.ipv4.conf.all.route_localnet": "1",
}


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def _ok(*args: str) -> bool:
    return run(*args, check=False).returncode == 0


def _mangle(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run("iptables", "-w", "-t", "mangle", *args, check=check)


def guard_chain(builtin: str) -> str:
    return f"{GUARD_CHAIN}-{builtin[:4]}"


def install_guard() -> None:
    """Rebuild the guard chains and make sure each is jumped to first from its built-in chain (idempotent)."""
    for builtin in sorted({chain for chain, _ in GUARD_RULES}):
        chain = guard_chain(builtin)
        if _mangle("-n", "-L", chain, check=False).returncode != 0:
            _mangle("-N", chain)
        _mangle("-F", chain)
        for rule_chain, rule in GUARD_RULES:
            if rule_chain == builtin:
                _mangle("-A", chain, *rule)
        while _mangle("-C", builtin, "-j", chain, check=False).returncode == 0:
            _mangle("-D", builtin, "-j", chain)
        _mangle("-I", builtin, "1", "-j", chain)


def remove_guard() -> None:
    for builtin in sorted({chain for chain, _ in GUARD_RULES}):
        chain = guard_chain(builtin)
        while _mangle("-C", builtin, "-j", chain, check=False).returncode == 0:
            _mangle("-D", builtin, "-j", chain)
        if _mangle("-n", "-L", chain, check=False).returncode == 0:
            _mangle("-F", chain)
            _mangle("-X", chain)


def bridge_up() -> None:
    """The bridge exists before the CNI plugin's first call: the API server and kubelet bind the node address."""
    if not _ok("ip", "link", "show", BRIDGE):
        run("ip", "link", "add", BRIDGE, "type", "bridge")
    prefix = POD_CIDR.split("/")[1]
    if NODE_IP not in run("ip", "-4", "-o", "addr", "show", "dev", BRIDGE).stdout:
        run("ip", "addr", "add", f"{NODE_IP}/{prefix}", "dev", BRIDGE)
    run("ip", "link", "set", BRIDGE, "up")
    # Service addresses no kube-proxy rule has translated yet go to the bridge, never to the default route.
    run("ip", "route", "replace", SERVICE_CIDR, "dev", BRIDGE)


def bridge_down() -> None:
    run("ip", "route", "del", SERVICE_CIDR, check=False)
    if _ok("ip", "link", "show", BRIDGE):
        run("ip", "link", "del", BRIDGE)


def set_sysctls(saved: Path) -> None:
    """Set what the node needs, remembering the old values (only the first time: a re-run keeps the originals)."""
    previous = json.loads(saved.read_text()) if saved.exists() else {}
    for key, value in SYSCTLS.items():
        previous.setdefault(key, run("sysctl", "-n", key).stdout.strip())
        run("sysctl", "-q", "-w", f"{key}={value}")
    saved.write_text(json.dumps(previous, indent=2) + "\n")


def restore_sysctls(saved: Path) -> None:
    if not saved.exists():
        return
    for key, value in json.loads(saved.read_text()).items():
        run("sysctl", "-q", "-w", f"{key}={value}", check=False)
    saved.unlink()


def remove_chains(prefixes: tuple[str, ...] = ("KUBE-", "FAULTLINE-")) -> int:
    """Delete every iptables chain (and the rules that jump to it) whose name starts with one of `prefixes`, in
    every table: what kube-proxy, kubelet and the NetworkPolicy enforcer leave behind. Returns how many went."""
    removed = 0
    for table in ("filter", "nat", "mangle", "raw"):
        dump = run("iptables-save", "-t", table, check=False).stdout.splitlines()
        chains = [line[1:].split()[0] for line in dump if line.startswith(":") and line[1:].startswith(prefixes)]
        if not chains:
            continue
        # Rules in built-in chains that jump to ours go first, then our chains are flushed and deleted.
        for line in dump:
            if line.startswith("-A ") and not line.split()[1].startswith(prefixes) and \
                    any(f"-j {chain}" in line or f"-g {chain}" in line for chain in chains):
                run("iptables", "-w", "-t", table, "-D", *shlex.split(line[3:]), check=False)
        for chain in chains:
            run("iptables", "-w", "-t", table, "-F", chain, check=False)
        for chain in chains:
            if run("iptables", "-w", "-t", table, "-X", chain, check=False).returncode == 0:
                removed += 1
    return removed


def remove_ipsets(prefixes: tuple[str, ...] = ("KUBE-",)) -> None:
    names = run("ipset", "list", "-n", check=False).stdout.split()
    for name in names:
        if name.startswith(prefixes):
            run("ipset", "destroy", name, check=False)


def kube_rule_count() -> int:
    """How many lines of `iptables-save` name KUBE (what the Done means of issue 9 counts)."""
    return sum("KUBE" in line for line in run("iptables-save", check=False).stdout.splitlines())
