"""Faultline's services, listed once. Python reads the tuples; bootstrap, the image scripts and anything else in
bash ask `python3 -m faultline_ops.services [--console] [--paths]` (stdlib only, so it runs before any venv)."""
from __future__ import annotations

import argparse

# The four services of the shop: one Python project and one image each (services/<name>/), two replicas behind
# HAProxy locally, one chart component each.
APIS: tuple[str, ...] = ("order", "cart", "inventory", "email")
# The control room: a project and an image too, but one instance, no replicas, no shop API.
CONSOLE = "console"
# Every project under services/ that ships as an image (`make images` builds them all).
IMAGES: tuple[str, ...] = (*APIS, CONSOLE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m faultline_ops.services",
                                     description="print Faultline's services, one a line")
    parser.add_argument("--console", action="store_true", help="the control room too (every image)")
    parser.add_argument("--paths", action="store_true", help="services/<name> instead of <name>")
    args = parser.parse_args(argv)
    for name in IMAGES if args.console else APIS:
        print(f"services/{name}" if args.paths else name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
