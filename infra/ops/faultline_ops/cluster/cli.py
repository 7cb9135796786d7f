"""`faultline cluster up|down|deploy|forward|status`: the real single-node Kubernetes on this machine."""

from __future__ import annotations

import argparse
import sys

from faultline_ops.cluster import layout
from faultline_ops.errors import StackError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faultline cluster", description=(
        "A real single-node Kubernetes (etcd, control plane, containerd, kubelet, kube-proxy, CoreDNS, "
        "local-path storage, kube-router NetworkPolicies) on this machine, without Docker. State in "
        "$FAULTLINE_CLUSTER_HOME (<repo>/.run/cluster); needs root."))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("up", help="start the node (idempotent) and wait until it and CoreDNS are ready")
    commands.add_parser("down", help="stop every process, remove the bridge, rules, mounts and cgroups it made")
    commands.add_parser("deploy", help="import the chart's images, helm upgrade --install, wait until all Ready")
    forward = commands.add_parser("forward", help="port-forward the front ports as `skaffold run --port-forward`")
    forward.add_argument("--stop", action="store_true", help="stop the port-forwards")
    commands.add_parser("status", help="nodes and pods")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cluster = layout.from_env()
    from faultline_ops.cluster import deploy, kube, lifecycle

    try:
        if args.command == "up":
            lifecycle.up(cluster)
        elif args.command == "down":
            lifecycle.down(cluster)
        elif args.command == "deploy":
            deploy.deploy(cluster)
        elif args.command == "forward":
            lifecycle.forward(cluster, stop=args.stop)
        else:
            print(kube.kubectl(cluster, "get", "nodes,pods", "-A", "-o", "wide", check=False).stdout)
    except StackError as error:
        print(f"faultline cluster: {error}", file=sys.stderr)
        return 1
    return 0
