"""`faultline`: run Faultline's local stack (Kafka, Redis, Mailpit, HAProxy, the services) under supervisord."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from faultline_ops import settings as settings_module
from faultline_ops import stack


def _verify(argv: list[str]) -> int:
    try:
        from faultline_ops.verify import main as verify_main
    except ModuleNotFoundError as error:
        if error.name != "faultline_ops.verify":
            raise
        print("faultline verify: not available yet (faultline_ops.verify is missing)", file=sys.stderr)
        return 2
    return int(verify_main(argv) or 0)


def _chaos(argv: list[str]) -> int:
    from faultline_ops.chaos.cli import main as chaos_main

    return int(chaos_main(argv) or 0)


def _cluster(argv: list[str]) -> int:
    from faultline_ops.cluster.cli import main as cluster_main

    return int(cluster_main(argv) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faultline",
        description="Run Faultline's local stack. State (configs, data, logs) lives in $FAULTLINE_HOME "
                    "(default <repo>/.run/local); ports come from FAULTLINE_*_PORT variables.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = commands.add_parser("up", help="start (or update) the stack and wait until it is ready")
    up.add_argument("--infra-only", action="store_true", help="Kafka, Redis and Mailpit only; no services")
    up.add_argument("--ha", action="store_true",
                    help="the HA profile: 3 KRaft nodes (topics at RF 3, min.insync.replicas 2), Redis primary + 2 "
                         "replicas + 3 Sentinels (recorded in the state dir: later commands use it)")
    up.add_argument("--replicas", type=int, default=None, help="instances per service (default $FAULTLINE_REPLICAS or 2)")
    commands.add_parser("down", help="stop everything, keep data")
    commands.add_parser("clean", help="stop everything and delete Kafka, Redis and Mailpit data")
    commands.add_parser("status", help="every program: port, pid, state, ready; membership, breakers, consumer lag, "
                                       "outbox and dead-letter depth")
    commands.add_parser("verify", help="check the system's invariants through its APIs", add_help=False)
    commands.add_parser("chaos", help="run a chaos experiment under load and judge it (chaos list, chaos run NAME)",
                        add_help=False)
    commands.add_parser("cluster", help="a real single-node Kubernetes here: cluster up|down|deploy|forward|status",
                        add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["verify"]:
        return _verify(argv[1:])
    if argv[:1] == ["chaos"]:
        return _chaos(argv[1:])
    if argv[:1] == ["cluster"]:
        return _cluster(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        settings = settings_module.from_env()
    except ValueError as error:
        print(f"faultline: {error}", file=sys.stderr)
        return 2
    if args.command == "up":
        try:
            settings = settings.with_replicas(args.replicas).with_profile("ha" if args.ha else None)
        except ValueError as error:
            print(f"faultline: {error}", file=sys.stderr)
            return 2
        return stack.run(partial(stack.up, infra_only=args.infra_only), settings)
    actions = {"down": stack.down, "clean": stack.clean, "status": stack.status}
    return stack.run(actions[args.command], settings)


if __name__ == "__main__":
    sys.exit(main())
