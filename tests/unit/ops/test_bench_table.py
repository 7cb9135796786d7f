"""make bench's table and latest.json come from the same rows: each figure once, medians and in-round ratios."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "infra" / "bench"))

import bench  # noqa: E402
from bench_table import Figures, spread  # noqa: E402


def produced(sync_per_s: float, cpu_us: float) -> dict:
    return {"sync_per_s": sync_per_s, "batch_per_s": 10 * sync_per_s, "sync_cpu_us": cpu_us, "batch_cpu_us": cpu_us / 4}


def a_round(checkouts_per_s: float, livez_per_s: float, cpu_ms: float, saga_p50: float) -> dict:
    latency = {"p50_ms": 10.0, "p95_ms": 20.0, "p99_ms": 30.0}
    rest = {"per_s": 1000.0, "p50_us": 900.0, "p99_us": 2000.0}
    return {"load": {"checkout": {"per_s": checkouts_per_s, **latency}, "saga": latency,
                     "requests": {"http": 8.0, "follow": 5.5}},
            "paced": {"checkout": {"per_s": checkouts_per_s * 1.5, **latency}},
            "livez": {"per_s": livez_per_s, **latency},
            "cpu": {"checkout_ms": cpu_ms, "livez_ms": 0.5, "idle_per_s": 0.45},
            "saga_one": {"p50_ms": saga_p50, "p95_ms": saga_p50 * 2, "p99_ms": saga_p50 * 3, "checkout_p50_ms": 15.0},
            "rest": {"bare": rest, "kit": rest, "kit_traced": rest},
            "produce": {"kit": produced(100.0, 200.0), "bare": produced(200.0, 150.0),
                        "confluent": produced(400.0, 50.0)},
            "consume": {"kit": {"per_s": 500.0, "cpu_us": 400.0}, "bare": {"per_s": 1000.0, "cpu_us": 200.0},
                        "confluent": {"per_s": 4000.0, "cpu_us": 20.0}},
            "rss": {"order": [100.0, 110.0], "kafka": [400.0]}}


def results(untraced: bool = True) -> dict:
    return {"started": "2026-12-02T03:00:00+00:00", "users": 10, "load_before": [1.0], "load_after": [2.0],
            "machine": {"cpu": "cpu", "cores": "2", "memory_gib": "24", "kernel": "6", "python": "3.11",
                        "revision": "abc", "kafka_python": "3.0.12", "confluent_kafka": "2.16.1",
                        "librdkafka": "2.16.0"},
            "services_traced": True, "tracing_exporter": "OTLP",
            "up": [{"cold_s": 30.0, "warm_s": 20.0, "again_s": 1.0}],
            "rounds": [a_round(30, 2000, 100, 80), a_round(32, 2200, 110, 90), a_round(28, 1800, 90, 70)],
            "untraced": [{"cpu": {"checkout_ms": 80.0, "idle_per_s": 0.4},
                          "saga_one": {"p50_ms": 60.0, "checkout_p50_ms": 12.0}}]
            if untraced else []}


def test_every_row_is_a_key_of_the_figures_file_with_its_median_and_in_round_ratio():
    figures = bench.table(results())
    throughput = figures.figures["checkouts_per_s_vs_livez"]
    assert throughput["faultline"] == 30 and throughput["baseline"] == 2000
    assert throughput["ratio"] == sorted([30 / 2000, 32 / 2200, 28 / 1800])[1]
    assert figures.figures["saga_p50_ms_one_shopper"] == {"faultline": 80}
    assert figures.figures["cpu_ms_per_checkout_vs_livez"]["ratio"] == 200
    assert figures.figures["cpu_ms_per_checkout_traced_vs_untraced"]["ratio"] == 1.25
    assert figures.figures["consume_per_s"]["ratio"] == 0.5
    assert figures.figures["idle_cpu_ms_per_s"] == {"faultline": 450}
    assert "burns 450 (450–450) CPU ms per second with tracing on, 400 with it off" in figures.lines[0]
    assert figures.figures["consume_cpu_us_kafka_python_vs_confluent"]["ratio"] == 10
    assert figures.figures["produce_sync_cpu_us_kafka_python_vs_confluent"] == {
        "faultline": 150, "baseline": 50, "ratio": 3}
    rows = [line for line in figures.lines if line.startswith("| ") and "---" not in line]
    assert len(figures.figures) == len(rows) - 3   # three header rows: the figures, memory, make up


def test_without_an_untraced_run_there_is_no_tracing_row():
    figures = bench.table(results(untraced=False)).figures
    assert not [key for key in figures if "untraced" in key]


def test_a_row_without_baseline_has_dashes():
    t = Figures()
    t.row("x", "one figure", [1.0, 3.0, 2.0])
    assert t.lines == ["| one figure | 2 (1–3) | — | — |"] and t.figures == {"x": {"faultline": 2.0}}
    assert spread([5.0]) == "5"
