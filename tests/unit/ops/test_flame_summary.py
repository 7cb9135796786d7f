"""flame_summary: samples charged to the library they ended in, standard-library calls to their caller, waiting
left out, read from a py-spy flame graph's rectangles (a hand-made SVG of the same shape)."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "infra" / "bench"))
import flame_summary  # noqa: E402

SITE = "/work/.venv/lib/python3.11/site-packages"
STDLIB = "/usr/lib/python3.11"


def frame(function: str, path: str, depth: int, start: int, width: int) -> str:
    title = f"{function} ({path}:1) ({width:,} samples, 1.00%)"
    return (f'<g><title>{title}</title><rect x="0%" y="{52 + 16 * depth}" width="1%" height="15" fill="red" '
            f'fg:x="{start}" fg:w="{width}"/><text>{function}</text></g>')


def svg(*frames: str) -> str:
    return "<svg>" + "".join(frames) + "</svg>"


def test_each_sample_is_charged_once_to_the_frame_it_ended_in():
    text = svg(frame("handle", f"{SITE}/gunicorn/workers/gthread.py", 0, 0, 100),
               frame("dispatch", f"{SITE}/flask/app.py", 1, 0, 90),
               frame("checkout", "/work/services/cart/cart_service/handlers.py", 2, 0, 60),
               frame("execute", f"{SITE}/redis/client.py", 3, 0, 40),
               frame("on_end", f"{SITE}/opentelemetry/sdk/trace/__init__.py", 2, 60, 25))
    assert flame_summary.own_samples_by_library(text) == Counter(
        {"gunicorn": 10, "Flask + Werkzeug": 5, "service code": 20, "redis-py": 40, "OpenTelemetry": 25})


def test_standard_library_work_is_charged_to_the_library_that_called_it():
    text = svg(frame("run", f"{STDLIB}/threading.py", 0, 0, 50),
               frame("export", f"{SITE}/opentelemetry/exporter/otlp/proto/http/trace_exporter/__init__.py", 1, 0, 50),
               frame("dumps", f"{STDLIB}/json/__init__.py", 2, 0, 30),
               frame("sendall", f"{STDLIB}/socket.py", 2, 30, 20))
    assert flame_summary.own_samples_by_library(text) == Counter({"OpenTelemetry": 50})


def test_samples_ending_in_a_blocking_call_are_waiting_and_left_out_of_the_shares():
    text = svg(frame("run", f"{SITE}/gunicorn/arbiter.py", 0, 0, 100),
               frame("sleep", f"{SITE}/gunicorn/arbiter.py", 1, 0, 70),
               frame("poll", f"{SITE}/kafka/consumer/group.py", 1, 70, 30),
               frame("select", f"{STDLIB}/selectors.py", 2, 70, 10))
    counts = flame_summary.own_samples_by_library(text)
    assert counts == Counter({"waiting": 80, "kafka-python": 20})
    assert flame_summary.shares_table({"order-1": counts}) == [("kafka-python", 20, 1.0)]


def test_the_table_sums_every_process_largest_first():
    table = flame_summary.markdown({"cart-1": Counter({"redis-py": 30, "waiting": 500}),
                                    "order-1": Counter({"OpenTelemetry": 40, "redis-py": 30})})
    assert table.splitlines()[2:] == ["| redis-py | 60 | 60% |", "| OpenTelemetry | 40 | 40% |"]


def test_samples_under_a_file_are_those_whose_stack_passes_through_it_waiting_left_out():
    text = svg(frame("dispatch", f"{SITE}/flask/app.py", 0, 0, 100),
               frame("traced_execute", f"{SITE}/opentelemetry/instrumentation/redis/__init__.py", 1, 0, 60),
               frame("execute", f"{SITE}/redis/client.py", 2, 0, 40),
               frame("select", f"{STDLIB}/selectors.py", 3, 0, 15),
               frame("start_span", f"{SITE}/opentelemetry/sdk/trace/__init__.py", 2, 40, 10),
               frame("handle", "/work/services/cart/cart_service/handlers.py", 1, 60, 30))
    # working: flask 10, instrumentation 10 (own), redis 25, sdk 10, handler 30; under the instrumentation: 45
    assert flame_summary.working_samples_under(text, "opentelemetry/instrumentation/redis") == (45, 85)
    assert flame_summary.working_samples_under(text, "no/such/file") == (0, 85)
