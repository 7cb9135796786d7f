"""`make images-smoke`: run the four service images as containers against real Kafka, Redis and Mailpit.

Steps, each printed with its time:
1. the local stack's infrastructure only (`faultline up --infra-only`) on ports of its own, in its own
   FAULTLINE_HOME, so neither a running `make up` nor the test suite's stack is disturbed;
2. one container per service (`podman run --network host --read-only`, uid 10001, /tmp on tmpfs) listening on
   the front ports `faultline verify` reads, with the same FAULTLINE_* variables the chart sets;
3. checkouts through the cart container; halfway through, the email container is killed with SIGKILL and
   started again (as a kubelet would), so its Kafka consumer resumes from the last committed offset;
4. `faultline verify` against the containers: every order terminal, stock conserved, exactly one mail each;
5. containers removed and the infrastructure stopped (`faultline down`), whatever happened.
It starts from empty data (`faultline clean` on its own FAULTLINE_HOME) and refuses to run if its ports are taken.

Exit status 0 only when verify passes. Run by infra/images/smoke.sh, which sets CONTAINERS_CONF.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

import requests

from faultline_ops.services import APIS as SERVICES

ROOT = Path(__file__).resolve().parents[2]
# Ports of their own, away from the defaults (19092, 16379, 8081-8084, 8025, 1025), the test suite's
# (19192, 16479, 8181-8184, 8125, 1125) and the 8xxx/1xxxx ranges other local stacks use; checked free first.
PORTS = {
    "FAULTLINE_KAFKA_PORT": 29492,
    "FAULTLINE_KAFKA_CONTROLLER_PORT": 29493,
    "FAULTLINE_REDIS_PORT": 26979,
    "FAULTLINE_SMTP_PORT": 2625,
    "FAULTLINE_MAILPIT_PORT": 28625,
    "FAULTLINE_ORDER_PORT": 28781,
    "FAULTLINE_CART_PORT": 28782,
    "FAULTLINE_INVENTORY_PORT": 28783,
    "FAULTLINE_EMAIL_PORT": 28784,
    "FAULTLINE_HAPROXY_STATS_PORT": 28904,
}
ADMIN_TOKEN = "smoke-admin-token"
KILLED = "email"


def busy_ports() -> list[int]:
    """Ports of PORTS that something already listens on (another stack would be mistaken for ours)."""
    busy = []
    for port in PORTS.values():
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


def log(message: str, started: float) -> None:
    print(f"images-smoke [{time.monotonic() - started:6.1f}s] {message}", flush=True)


def stack_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTLINE_") or k == "FAULTLINE_CACHE"}
    env.update({k: str(v) for k, v in PORTS.items()})
    env["FAULTLINE_HOME"] = str(ROOT / ".run" / "images-smoke")
    env["FAULTLINE_ADMIN_TOKEN"] = ADMIN_TOKEN
    env["FAULTLINE_TOPIC_PARTITIONS"] = "3"
    return env


def url(service: str) -> str:
    return f"http://127.0.0.1:{PORTS[f'FAULTLINE_{service.upper()}_PORT']}"


def container_env(service: str) -> dict[str, str]:
    """What the chart sets for a service, pointed at the host's ports instead of Services."""
    return {
        "FAULTLINE_SERVICE": service,
        "FAULTLINE_INSTANCE_ID": f"{service}-smoke",
        "FAULTLINE_BIND": f"127.0.0.1:{PORTS[f'FAULTLINE_{service.upper()}_PORT']}",
        "FAULTLINE_KAFKA_BOOTSTRAP": f"127.0.0.1:{PORTS['FAULTLINE_KAFKA_PORT']}",
        "FAULTLINE_REDIS_URL": f"redis://127.0.0.1:{PORTS['FAULTLINE_REDIS_PORT']}/0",
        "FAULTLINE_TOPIC_PARTITIONS": "3",
        "FAULTLINE_ADMIN_TOKEN": ADMIN_TOKEN,
        "FAULTLINE_INVENTORY_URL": url("inventory"),
        "FAULTLINE_ORDER_URL": url("order"),
        "FAULTLINE_SMTP_HOST": "127.0.0.1",
        "FAULTLINE_SMTP_PORT": str(PORTS["FAULTLINE_SMTP_PORT"]),
    }


def container_name(service: str) -> str:
    return f"faultline-smoke-{service}"


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], check=check, text=True, capture_output=True)


def run_container(service: str, image: str) -> None:
    env_args = [arg for key, value in container_env(service).items() for arg in ("-e", f"{key}={value}")]
    podman("run", "-d", "--name", container_name(service), "--network", "host", "--read-only",
           "--tmpfs", "/tmp:rw,size=16m", "--stop-timeout", "15", *env_args, image)


def eventually(probe: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} not reached within {timeout_s:.0f} s")


def ready(service: str) -> bool:
    return requests.get(f"{url(service)}/readyz", timeout=2).status_code == 200


def checkout(http: requests.Session, skus: list[str], index: int) -> str:
    cart_id = f"smoke-{uuid.uuid4().hex[:12]}"
    sku = skus[index % len(skus)]
    response = http.put(f"{url('cart')}/carts/{cart_id}/items/{sku}", json={"quantity": 1 + index % 3}, timeout=10)
    response.raise_for_status()
    response = http.post(f"{url('cart')}/carts/{cart_id}/checkout", json={"email": f"smoke{index}@example.com"},
                         headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=15)
    if response.status_code != 202:
        raise RuntimeError(f"checkout {index}: {response.status_code} {response.text}")
    return response.json()["order_id"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=40, help="checkouts to place (default 40)")
    parser.add_argument("--image-repo", default=os.environ.get("FAULTLINE_IMAGE_REPO", "faultline"))
    parser.add_argument("--image-tag", default=os.environ.get("FAULTLINE_IMAGE_TAG", "0.1.0"))
    args = parser.parse_args(argv)
    started = time.monotonic()
    faultline = str(ROOT / ".venv" / "bin" / "faultline")
    env = stack_env()
    for service in SERVICES:
        podman("rm", "-f", "-t", "0", container_name(service), check=False)
    verdict = 1
    subprocess.run([faultline, "clean"], env=env, check=False, stdout=subprocess.DEVNULL)
    if busy_ports():
        log(f"FAILED: ports {busy_ports()} are already in use; stop what listens there", started)
        return 2
    try:
        log("starting Kafka, Redis and Mailpit from empty data (faultline clean; up --infra-only)", started)
        subprocess.run([faultline, "up", "--infra-only"], env=env, check=True, stdout=subprocess.DEVNULL)
        log("infrastructure ready; starting one container per service", started)
        for service in SERVICES:
            run_container(service, f"{args.image_repo}/{service}:{args.image_tag}")
        for service in SERVICES:
            eventually(lambda s=service: ready(s), 60, f"{service} container ready")
        log("all four containers ready", started)
        with requests.Session() as http:
            skus = [p["sku"] for p in http.get(f"{url('inventory')}/products", timeout=10).json()["products"]]
            half = args.orders // 2
            for index in range(half):
                checkout(http, skus, index)
            log(f"{half} checkouts accepted; SIGKILL the {KILLED} container", started)
            podman("kill", "--signal", "KILL", container_name(KILLED))
            podman("wait", container_name(KILLED), check=False)
            for index in range(half, args.orders):
                checkout(http, skus, index)
            log(f"{args.orders - half} more checkouts accepted while {KILLED} was down; starting it again", started)
            podman("start", container_name(KILLED))
            eventually(lambda: ready(KILLED), 60, f"{KILLED} ready after restart")
        log("running faultline verify against the containers", started)
        result = subprocess.run([faultline, "verify", "--wait", "90"], env=env)
        verdict = result.returncode
        log(f"verify {'PASSED' if verdict == 0 else 'FAILED'} ({args.orders} orders, {KILLED} killed once)", started)
    except Exception as error:  # report, then clean up; the exit status carries the failure
        log(f"FAILED: {error}", started)
        for service in SERVICES:
            tail = podman("logs", "--tail", "15", container_name(service), check=False)
            print(f"--- {service} (last lines) ---\n{tail.stdout}{tail.stderr}", file=sys.stderr)
    finally:
        for service in SERVICES:
            podman("rm", "-f", "-t", "15", container_name(service), check=False)
        subprocess.run([faultline, "down"], env=env, check=False, stdout=subprocess.DEVNULL)
        log("containers removed, infrastructure stopped", started)
    return verdict


if __name__ == "__main__":
    sys.exit(main())
