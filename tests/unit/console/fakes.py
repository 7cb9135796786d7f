"""What instances answer, as plain data: /debug/resilience boards, /readyz bodies and /metrics text."""
from __future__ import annotations

from console_service.model import Endpoint, InstanceObservation, Observation


def board(breakers: dict[str, str] | None = None, consumers: dict[str, dict] | None = None,
          outbox: dict | None = None) -> dict:
    body = {"breakers": {name: {"state": state, "fail_counter": 0} for name, state in (breakers or {}).items()}}
    if consumers is not None:
        body["consumers"] = consumers
    if outbox is not None:
        body["outbox"] = outbox
    return body


def consumer(lag: dict[str, int] | None = None, paused: bool = False, assigned: list[str] | None = None,
             retried: int = 0, dead: int = 0) -> dict:
    lag = lag or {}
    return {"lag": lag, "total_lag": sum(lag.values()), "paused": paused, "assigned": assigned or list(lag),
            "retried_via_topic": retried, "dead_lettered": dead}


def readiness(redis: bool = True, kafka_down: bool | None = False) -> dict:
    body = {"status": "ready" if redis else "not ready", "checks": {"redis": redis, "faults": True}}
    if kafka_down is not None:
        body["degraded"] = {"kafka": kafka_down}
    return body


def seen(name: str, ready: bool | None = True, board_body: dict | None = None, metrics: str | None = None,
         ready_body: dict | None = None) -> InstanceObservation:
    service = name.rsplit("-", 1)[0]
    return InstanceObservation(Endpoint(name, service, f"http://fake/{name}"), ready,
                               ready_body if ready_body is not None else (readiness() if ready else None),
                               board_body, metrics)


def member(name: str, status: str = "alive", last_seen_s: float = 0.4, breakers: dict | None = None) -> dict:
    return {"instance_id": name, "service": name.rsplit("-", 1)[0], "status": status, "last_seen_s": last_seen_s,
            "breakers": breakers or {}, "consumer_lag": 0}


def observation(instances, members=(), at: float = 1000.0, depths=None, orders=None, chaos=None) -> Observation:
    return Observation(at, tuple(instances), tuple(members), depths, orders, chaos)


def metrics_text(checkouts: int = 0, failed: int = 0, saga: dict[float, int] | None = None) -> str:
    """/metrics as OpenTelemetry's Prometheus exporter writes it (only the series the console reads)."""
    lines = ["# HELP http_server_request_duration_seconds Duration of HTTP server requests.",
             "# TYPE http_server_request_duration_seconds histogram"]
    route = 'http_request_method="POST",http_response_status_code="{code}",http_route="/carts/<cart_id>/checkout"'
    for code, count in (("202", checkouts), ("503", failed)):
        lines.append(f'http_server_request_duration_seconds_bucket{{{route.format(code=code)},le="+Inf"}} {count}')
        lines.append(f'http_server_request_duration_seconds_count{{{route.format(code=code)}}} {count}')
        lines.append(f'http_server_request_duration_seconds_sum{{{route.format(code=code)}}} {count * 0.01}')
    if saga is not None:
        lines += ["# HELP faultline_saga_duration_seconds order placed until CONFIRMED or REJECTED",
                  "# TYPE faultline_saga_duration_seconds histogram"]
        for le, count in sorted(saga.items()):
            bound = "+Inf" if le == float("inf") else repr(le)
            lines.append(f'faultline_saga_duration_seconds_bucket{{outcome="CONFIRMED",le="{bound}"}} {count}')
        total = saga.get(float("inf"), 0)
        lines.append(f'faultline_saga_duration_seconds_count{{outcome="CONFIRMED"}} {total}')
        lines.append(f'faultline_saga_duration_seconds_sum{{outcome="CONFIRMED"}} {total * 0.2}')
    return "\n".join(lines) + "\n"
