"""`make infra-images-smoke`: run each infrastructure image the way the chart runs it, and check it really works.

For every image the chart names (INFRA_IMAGES in lib.sh), the container is started with podman exactly as the
chart's rendered manifest describes it (`helm template` of charts/faultline with the default values): its env
(fieldRefs resolved as the kubelet would: pod name, namespace, the pod-index label; `$(VAR)` expanded), args,
restartPolicy Always (podman --restart always), user (runAsUser/runAsGroup), read-only root, dropped capabilities
and volume mounts (a named volume owned by the fsGroup, as a PVC is; an emptyDir as tmpfs; a ConfigMap as a
read-only directory). Pods reach each other by their Kubernetes DNS names (--add-host) on a podman network of
their own, with no port published on the host.

Checks, each printed with its time:
- pause: runs as 65535 as PID 1, exits 0 on SIGTERM;
- redis: the readiness probe (`redis-cli ping`), a key written, the container replaced, the key still there (/data);
- kafka-defaults: the image with no variables at all starts on its default single-node configuration;
- kafka, 1 node and 3 nodes (`--set kafka.replicas=3`): the StatefulSet's env formats and starts every node; a
  topic created with the image's kafka-topics.sh, records produced and consumed with its console tools (acks=all),
  the quorum's voters listed; 1 node: the records survive replacing the container (the data volume);
- zipkin: /health UP, a span POSTed to /api/v2/spans found by /api/v2/trace/<id> and shown on Lens's trace page as
  headless Chromium renders it;
- mailpit: /readyz and /livez, a mail sent over SMTP on 1025 listed by /api/v1/messages and shown in the web UI
  as headless Chromium renders it;
- otel-collector: the chart's ConfigMap as /conf/config.yaml with the chart's args, health on 13133, an OTLP/HTTP
  span posted on 4318 found in the zipkin container (reached by its Service name) through the zipkin exporter.
Zipkin runs as the chart's zipkin component when the chart has one, else with the official image's defaults.
Every container, volume and the network are removed afterwards, whatever happened. Exit status 0 when all pass.
Usage: infra_smoke.py [check...] (pause redis kafka-defaults kafka kafka3 zipkin mailpit otel-collector).
Run by infra_smoke.sh.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import smtplib
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "faultline"
RELEASE = "faultline"
NAMESPACE = "faultline"
NETWORK = "faultline-infra-smoke"
SUBNET_PREFIX = "10.89.231"
PREFIX = "infra-smoke-"
CHROMIUM = "/usr/bin/chromium"


class CheckFailed(Exception):
    """A check's condition did not hold before its deadline."""


def run(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=timeout)


def podman(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    return run("podman", *args, check=check, timeout=timeout)


def wait_until(what: str, condition: Callable[[], bool], timeout: float) -> None:
    """Poll condition until it holds; raise CheckFailed naming `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (OSError, subprocess.SubprocessError, urllib.error.URLError, ValueError):
            pass
        time.sleep(1)
    raise CheckFailed(f"{what}: not within {timeout:.0f} s")


def http(url: str, data: bytes | None = None, content_type: str = "application/json") -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- the chart, as the kubelet would see it ------------------------------------------------------------------

def render(*sets: str) -> list[dict]:
    helm = os.environ.get("HELM", str(Path(os.environ.get("FAULTLINE_CACHE", Path.home() / ".cache/faultline"))
                                      / "bin" / "helm"))
    args = [helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", "1.34.0"]
    for value in sets:
        args += ["--set", value]
    return [doc for doc in yaml.safe_load_all(run(*args).stdout) if doc]


def workload(docs: list[dict], component: str) -> dict:
    for doc in docs:
        if doc["kind"] in ("StatefulSet", "Deployment") and \
                doc["metadata"]["labels"].get("app.kubernetes.io/component") == component:
            return doc
    raise CheckFailed(f"the chart renders no workload for {component}")


def config_map(docs: list[dict], name: str) -> dict:
    for doc in docs:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == name:
            return doc
    raise CheckFailed(f"the chart renders no ConfigMap {name}")


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined variables are replaced, others left as written."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), value)


def container_env(container: dict, pod_name: str, ordinal: int) -> dict[str, str]:
    fields = {"metadata.name": pod_name, "metadata.namespace": NAMESPACE,
              "metadata.labels['apps.kubernetes.io/pod-index']": str(ordinal)}
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = expand(str(item["value"]), env)
        elif "fieldRef" in item.get("valueFrom", {}):
            env[item["name"]] = fields[item["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            raise CheckFailed(f"env {item['name']}: only values and fieldRefs are simulated")
    return env


class Container:
    """A container on the smoke network, by name (without PREFIX) and address."""

    def __init__(self, name: str, ip: str):
        self.name, self.ip = name, ip
        # Pods of a Deployment or StatefulSet have restartPolicy Always: the kubelet restarts what exits.
        self.restarted_by_kubelet = False

    def remove(self) -> None:
        podman("rm", "-f", "-t", "5", PREFIX + self.name, check=False)

    def exec(self, *command: str, stdin: str | None = None, timeout: float = 120) -> str:
        result = subprocess.run(["podman", "exec", "-i", PREFIX + self.name, *command], input=stdin,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise subprocess.SubprocessError(f"{' '.join(command)}: {result.stderr.strip()[-400:]}")
        return result.stdout

    def logs(self) -> str:
        result = podman("logs", PREFIX + self.name, check=False)
        return result.stdout + result.stderr

    def restarts(self) -> int:
        return int(podman("inspect", "--format", "{{.RestartCount}}", PREFIX + self.name,
                          check=False).stdout.strip() or 0)

    def running(self) -> bool:
        return podman("inspect", "--format", "{{.State.Running}}", PREFIX + self.name,
                      check=False).stdout.strip() == "true"


class Pod(Container):
    """One pod of a rendered workload, run as a podman container."""

    def __init__(self, docs: list[dict], component: str, ordinal: int = 0, hosts: dict[str, str] | None = None,
                 config_dirs: dict[str, Path] | None = None):
        self.workload = workload(docs, component)
        spec = self.workload["spec"]["template"]["spec"]
        self.container = spec["containers"][0]
        self.security = spec.get("securityContext", {})
        self.volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        self.claims = {claim["metadata"]["name"] for claim in self.workload["spec"].get("volumeClaimTemplates", [])}
        super().__init__(f"{self.workload['metadata']['name']}-{ordinal}", f"{SUBNET_PREFIX}.{next(ADDRESSES)}")
        self.ordinal = ordinal
        self.hosts = hosts or {}
        self.config_dirs = config_dirs or {}

    @property
    def image(self) -> str:
        image = self.container["image"]
        return image if image.count("/") >= 2 else f"docker.io/{image if '/' in image else 'library/' + image}"

    def volume_name(self, claim: str) -> str:
        return f"{PREFIX}{claim}-{self.name}"

    def start(self) -> "Pod":
        uid = self.security.get("runAsUser")
        gid = self.security.get("runAsGroup", uid)
        context = self.container.get("securityContext", {})
        self.restarted_by_kubelet = self.workload["spec"]["template"]["spec"].get("restartPolicy", "Always") == "Always"
        args = ["run", "-d", "--name", PREFIX + self.name, "--hostname", self.name,
                "--network", NETWORK, "--ip", self.ip, "--security-opt", "no-new-privileges",
                "--cap-drop", "ALL"]
        if self.restarted_by_kubelet:
            args += ["--restart", "always"]
        if uid is not None:
            args += ["--user", f"{uid}:{gid}"]
        if context.get("readOnlyRootFilesystem"):
            args.append("--read-only")
        for host, ip in self.hosts.items():
            args += ["--add-host", f"{host}:{ip}"]
        for key, value in container_env(self.container, self.name, self.ordinal).items():
            args += ["-e", f"{key}={value}"]
        for mount in self.container.get("volumeMounts", []):
            if mount["name"] in self.claims:
                volume = self.volume_name(mount["name"])
                if podman("volume", "exists", volume, check=False).returncode != 0:
                    podman("volume", "create", volume)
                    # A PVC mounted with fsGroup: owned by (and writable for) the pod's group.
                    group = self.security.get("fsGroup", gid or 0)
                    podman("run", "--rm", "--user", "0", "--entrypoint", "chown", "-v", f"{volume}:/volume",
                           self.image, f"{uid or 0}:{group}", "/volume")
                args += ["-v", f"{volume}:{mount['mountPath']}"]
            elif "emptyDir" in self.volumes[mount["name"]]:
                args += ["--mount", f"type=tmpfs,destination={mount['mountPath']},tmpfs-mode=1777"]
            elif "configMap" in self.volumes[mount["name"]]:
                args += ["-v", f"{self.config_dirs[mount['name']]}:{mount['mountPath']}:ro,Z"]
        args.append(self.image)
        args += [expand(arg, {}) for arg in self.container.get("args", [])]
        podman(*args)
        STARTED.append(self)
        return self

STARTED: list[Container] = []
# Addresses of the pods on the smoke network (.50 is Zipkin's, .100-.102 the Kafka nodes').
ADDRESSES = itertools.cycle(range(10, 50))
ZIPKIN_ADDRESS = f"{SUBNET_PREFIX}.50"


# --- checks --------------------------------------------------------------------------------------------------

def check_pause(_: list[dict]) -> str:
    image = "registry.k8s.io/pause:3.10"
    name = PREFIX + "pause"
    podman("run", "-d", "--name", name, "--network", NETWORK, image)
    try:
        top = podman("top", name, "user", "pid", "args").stdout.split("\n")[1].split()
        if top[:3] != ["65535", "1", "/pause"]:
            raise CheckFailed(f"pause runs as {top}")
        podman("stop", "-t", "10", name)
        code = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        if code != "0":
            raise CheckFailed(f"pause exited {code} on SIGTERM")
        return "PID 1 as 65535, exit 0 on SIGTERM"
    finally:
        podman("rm", "-f", name, check=False)


def check_redis(docs: list[dict]) -> str:
    pod = Pod(docs, "redis").start()
    probe = pod.container["readinessProbe"]["exec"]["command"]
    wait_until("redis readiness probe", lambda: pod.exec(*probe).strip() == "PONG", 60)
    if pod.exec("redis-cli", "config", "get", "protected-mode").split() != ["protected-mode", "no"]:
        raise CheckFailed("protected mode is on")
    http_ok = pod.exec("redis-cli", "-h", pod.ip, "ping").strip()
    if http_ok != "PONG":
        raise CheckFailed(f"PING over the pod address answered {http_ok!r}")
    value = uuid.uuid4().hex
    pod.exec("redis-cli", "set", "infra-smoke", value)
    # Replaced as the kubelet replaces a pod: SIGTERM (on which Redis fsyncs its append-only file), then a new one.
    pod.remove()
    STARTED.remove(pod)
    pod = Pod(docs, "redis").start()
    wait_until("redis ready again", lambda: pod.exec(*probe).strip() == "PONG", 60)
    kept = pod.exec("redis-cli", "get", "infra-smoke").strip()
    if kept != value:
        raise CheckFailed(f"after the restart the key holds {kept!r}")
    user = podman("top", PREFIX + pod.name, "user").stdout.split("\n")[1].strip()
    return f"PONG, protected-mode no, runs as {user}, a key survived replacing the container (AOF in /data)"


def kafka_pods(docs: list[dict], replicas: int) -> list[Pod]:
    pods = []
    hosts: dict[str, str] = {}
    for ordinal in range(replicas):
        pod = Pod(docs, "kafka", ordinal)
        pod.ip = f"{SUBNET_PREFIX}.{100 + ordinal}"
        headless = f"{pod.workload['spec']['serviceName']}.{NAMESPACE}.svc.cluster.local"
        hosts[f"{pod.name}.{headless}"] = pod.ip
        pods.append(pod)
    for pod in pods:
        pod.hosts = hosts
    return pods


def kafka_started(pod: Container) -> bool:
    if not pod.running():
        if pod.restarted_by_kubelet:
            return False
        errors = [line for line in pod.logs().splitlines()
                  if re.search(r"ERROR|FATAL|Exception|Shutting down because", line)]
        raise CheckFailed(f"{pod.name} exited; its first errors:\n" + "\n".join(errors[:8])[:3000])
    return pod.running() and "Kafka Server started" in pod.logs()


def produce_consume(pod: Container, topic: str, replicas: int, records: list[str]) -> None:
    bootstrap = "localhost:9092"
    pod.exec("/opt/kafka/bin/kafka-topics.sh", "--bootstrap-server", bootstrap, "--create", "--if-not-exists",
             "--topic", topic, "--partitions", "3", "--replication-factor", str(min(replicas, 3)))
    pod.exec("/opt/kafka/bin/kafka-console-producer.sh", "--bootstrap-server", bootstrap, "--topic", topic,
             "--producer-property", "acks=all", stdin="\n".join(records) + "\n")
    consume(pod, topic, records)


def consume(pod: Container, topic: str, records: list[str]) -> None:
    out = pod.exec("/opt/kafka/bin/kafka-console-consumer.sh", "--bootstrap-server", "localhost:9092",
                   "--topic", topic, "--from-beginning", "--max-messages", str(len(records)),
                   "--timeout-ms", "60000", timeout=120)
    if sorted(out.split()) != sorted(records):
        raise CheckFailed(f"consumed {out.split()} instead of {records}")


def check_kafka_nodes(replicas: int) -> str:
    docs = render(f"kafka.replicas={replicas}")
    pods = kafka_pods(docs, replicas)
    start = time.monotonic()
    for pod in pods:
        pod.start()
    # Generous: three JVMs forming a quorum on a shared, busy 2-core machine took from 65 s to over 7 minutes.
    try:
        wait_until(f"{replicas} Kafka node(s) started", lambda: all(kafka_started(pod) for pod in pods), 900)
    except CheckFailed as error:
        states = ", ".join(f"{pod.name}: {'started' if kafka_started(pod) else 'not started'}, "
                           f"{pod.restarts()} restart(s)" for pod in pods)
        raise CheckFailed(f"{error} ({states})") from None
    started = time.monotonic() - start
    records = [f"record-{i}-{uuid.uuid4().hex[:8]}" for i in range(5)]
    produce_consume(pods[0], "infra-smoke", replicas, records)
    voters = pods[-1].exec("/opt/kafka/bin/kafka-metadata-quorum.sh", "--bootstrap-server", "localhost:9092",
                           "describe", "--status")
    found = re.search(r"CurrentVoters:\s*(\[.*\])", voters)
    count = len(json.loads(found.group(1))) if found else 0
    if count != replicas:
        raise CheckFailed(f"the quorum has {count} voters:\n{voters}")
    restarts = sum(pod.restarts() for pod in pods)
    detail = (f"{replicas} node(s) started in {started:.0f} s ({restarts} restart(s) by the restart policy), "
              f"{count} voter(s), produce+consume (acks=all) ok")
    if replicas == 1:
        pods[0].remove()
        STARTED.remove(pods[0])
        pod = kafka_pods(docs, 1)[0].start()
        wait_until("Kafka restarted on its volume", lambda: kafka_started(pod), 420)
        if "already formatted" not in pod.logs():
            raise CheckFailed("the restarted node did not find its formatted storage")
        consume(pod, "infra-smoke", records)
        detail += "; the records survived replacing the container (/var/lib/kafka/data)"
    return detail


def check_kafka(_: list[dict]) -> str:
    return check_kafka_nodes(1)


def check_kafka_defaults(_: list[dict]) -> str:
    """`docker run apache/kafka:4.3.1` with no variables at all: the image's default single-node configuration."""
    pod = Container("kafka-defaults", f"{SUBNET_PREFIX}.99")
    podman("run", "-d", "--name", PREFIX + pod.name, "--network", NETWORK, "--ip", pod.ip,
           "docker.io/apache/kafka:4.3.1")
    STARTED.append(pod)
    wait_until("Kafka started on its defaults", lambda: kafka_started(pod), 420)
    if "CLUSTER_ID not set. Setting it to default value" not in pod.logs():
        raise CheckFailed("the default CLUSTER_ID was not used")
    produce_consume(pod, "infra-smoke-defaults", 1, [f"default-{uuid.uuid4().hex[:8]}"])
    return "no env: default CLUSTER_ID and server.properties, produce+consume on localhost:9092"


def check_kafka3(_: list[dict]) -> str:
    return check_kafka_nodes(3)


def start_zipkin(docs: list[dict]) -> tuple[str, str]:
    """Start Zipkin as the chart runs it (or, while the chart has no zipkin component, with the official image's
    defaults: STORAGE_TYPE=mem, uid 1000); wait for /health UP; return (container name, address)."""
    try:
        pod = Pod(docs, "zipkin")
    except CheckFailed:
        pod = None
    if pod is not None:
        pod.ip = ZIPKIN_ADDRESS
        pod.start()
        name = PREFIX + pod.name
    else:
        name = PREFIX + "zipkin"
        podman("run", "-d", "--name", name, "--network", NETWORK, "--ip", ZIPKIN_ADDRESS, "--user", "1000:1000",
               "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "-e", "STORAGE_TYPE=mem",
               "docker.io/openzipkin/zipkin:3.5.1")
    wait_until("zipkin /health UP", lambda: b'"UP"' in http(f"http://{ZIPKIN_ADDRESS}:9411/health")[1], 240)
    return name, ZIPKIN_ADDRESS


def check_zipkin(docs: list[dict]) -> str:
    name, ip = start_zipkin(docs)
    base = f"http://{ip}:9411"
    trace_id = uuid.uuid4().hex
    span = [{"traceId": trace_id, "id": trace_id[:16], "name": "infra-smoke-span", "timestamp": int(time.time() * 1e6),
             "duration": 1000, "localEndpoint": {"serviceName": "infra-smoke"}}]
    status, body = http(f"{base}/api/v2/spans", json.dumps(span).encode())
    if status != 202:
        raise CheckFailed(f"POST /api/v2/spans answered {status}: {body[:200]!r}")
    wait_until("the span in /api/v2/trace", lambda: http(f"{base}/api/v2/trace/{trace_id}")[0] == 200, 30)
    # Lens as a person sees it: headless Chromium renders the trace page with the span's service and name.
    wait_until("the span in Lens's rendered trace page",
               lambda: all(text in rendered_dom(f"{base}/zipkin/traces/{trace_id}")
                           for text in ("infra-smoke", "infra-smoke-span")), 90)
    if podman("healthcheck", "run", name, check=False).returncode != 0:
        raise CheckFailed("the image's HEALTHCHECK (docker-healthcheck) failed")
    user = podman("top", name, "user").stdout.split("\n")[1].strip()
    return (f"/health UP, a span stored, found by trace id and shown by Lens (rendered by Chromium), HEALTHCHECK "
            f"healthy, user {user}")


def check_otel_collector(docs: list[dict]) -> str:
    name = f"{RELEASE}-otel-collector"
    config = yaml.safe_load(config_map(docs, name)["data"]["config.yaml"])
    _, zipkin_ip = start_zipkin(docs)
    note = "the chart's config"
    if "zipkin" not in config["exporters"]:
        # The chart before its trace backend moved to Zipkin: the same Collector, exporting to Zipkin instead.
        config["exporters"]["zipkin"] = {"endpoint": f"http://{RELEASE}-zipkin:9411/api/v2/spans"}
        config["service"]["pipelines"]["traces"]["exporters"] = ["zipkin"]
        note = "the chart's config with its traces sent to the zipkin exporter"
    work = Path(os.environ.get("FAULTLINE_CACHE", Path.home() / ".cache/faultline")) / "images" / "smoke" / "collector"
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    pod = Pod(docs, "otel-collector", hosts={f"{RELEASE}-zipkin": zipkin_ip}, config_dirs={"config": work}).start()
    wait_until("the collector's health_check", lambda: http(f"http://{pod.ip}:13133/")[0] == 200, 60)
    trace_id = uuid.uuid4().hex
    otlp = {"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "infra-smoke"}}]},
        "scopeSpans": [{"spans": [{"traceId": trace_id, "spanId": trace_id[:16], "name": "otlp-to-zipkin",
                                   "kind": 2, "startTimeUnixNano": str(time.time_ns() - 1_000_000),
                                   "endTimeUnixNano": str(time.time_ns())}]}]}]}
    status, body = http(f"http://{pod.ip}:4318/v1/traces", json.dumps(otlp).encode())
    if status != 200:
        raise CheckFailed(f"OTLP/HTTP answered {status}: {body[:200]!r}")
    wait_until("the OTLP span in Zipkin",
               lambda: http(f"http://{zipkin_ip}:9411/api/v2/trace/{trace_id}")[0] == 200, 60)
    return f"{note} and args: health 200, an OTLP/HTTP span on 4318 reached Zipkin"


def check_mailpit(docs: list[dict]) -> str:
    pod = Pod(docs, "mailpit").start()
    base = f"http://{pod.ip}:8025"
    wait_until("mailpit /readyz", lambda: http(f"{base}/readyz")[0] == 200, 60)
    if http(f"{base}/livez")[0] != 200:
        raise CheckFailed("/livez is not 200")
    subject = f"infra-smoke {uuid.uuid4().hex[:8]}"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "smoke@faultline.local", "you@faultline.local", subject
    message.set_content("hello from the infra smoke test")
    with smtplib.SMTP(pod.ip, 1025, timeout=10) as smtp:
        smtp.send_message(message)
    wait_until("the mail in /api/v1/messages",
               lambda: subject in json.dumps(json.loads(http(f"{base}/api/v1/messages")[1])), 30)
    # The web UI as a person sees it: Debian's headless Chromium (the browser tier's flags) renders the inbox.
    wait_until("the mail in the rendered web UI", lambda: subject in rendered_dom(f"{base}/"), 90)
    return ("/readyz and /livez 200, a mail over SMTP :1025 listed by the API and shown in the web UI rendered by "
            "Chromium (MP_DATABASE on the /tmp emptyDir)")


def rendered_dom(url: str) -> str:
    """The DOM Chromium has built once the page's scripts ran (virtual time lets its fetches finish)."""
    return run(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=10000",
               "--dump-dom", url, timeout=60).stdout


CHECKS: dict[str, Callable[[list[dict]], str]] = {
    "pause": check_pause, "redis": check_redis, "kafka": check_kafka, "kafka3": check_kafka3,
    "kafka-defaults": check_kafka_defaults,
    "zipkin": check_zipkin, "mailpit": check_mailpit, "otel-collector": check_otel_collector,
}


def clean_up() -> None:
    for pod in list(STARTED):
        pod.remove()
    STARTED.clear()
    names = podman("ps", "-a", "--format", "{{.Names}}", check=False).stdout.split()
    for name in names:
        if name.startswith(PREFIX):
            podman("rm", "-f", name, check=False)
    for volume in podman("volume", "ls", "--format", "{{.Name}}", check=False).stdout.split():
        if volume.startswith(PREFIX):
            podman("volume", "rm", "-f", volume, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checks", nargs="*", metavar="check", help=f"any of {', '.join(CHECKS)} (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.checks) - set(CHECKS))
    if unknown:
        parser.error(f"unknown checks {unknown}: choose from {', '.join(CHECKS)}")
    docs = render()
    if podman("network", "exists", NETWORK, check=False).returncode != 0:
        podman("network", "create", "--subnet", f"{SUBNET_PREFIX}.0/24", NETWORK)
    failed = []
    try:
        for name in args.checks or list(CHECKS):
            start = time.monotonic()
            try:
                detail = CHECKS[name](docs)
                print(f"PASS {name:15s} {time.monotonic() - start:6.1f} s  {detail}", flush=True)
            except (CheckFailed, subprocess.SubprocessError) as error:
                failed.append(name)
                print(f"FAIL {name:15s} {time.monotonic() - start:6.1f} s  {error}", flush=True)
            finally:
                clean_up()
    finally:
        clean_up()
        podman("network", "rm", "-f", NETWORK, check=False)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
