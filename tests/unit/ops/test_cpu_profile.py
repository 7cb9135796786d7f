"""make profile's table: CPU per checkout above what each process costs at rest, replicas summed."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "infra" / "bench"))

import cpu_profile  # noqa: E402


def result(**overrides):
    base = {"started": "2026-12-02T00:00:00+00:00", "machine": {"cpu": "cpu", "cores": "2"}, "load_before": [1.0],
            "users": 4, "seconds": 30, "elapsed_s": 30.0, "checkouts": 100,
            "groups": {"order-1": "order", "order-2": "order", "kafka": "kafka"},
            "cpu_s": {"order-1": 3.0, "order-2": 2.0, "kafka": 4.0},
            "idle_cpu_s": {"order-1": 0.5, "order-2": 0.5, "kafka": 3.0}}
    return {**base, **overrides}


def rows(markdown: str) -> dict[str, list[str]]:
    return {cells[1].strip(): [c.strip() for c in cells[2:-1]]
            for cells in (line.split("|") for line in markdown.splitlines() if line.startswith("| ") and "---" not in line)}


def test_replicas_are_summed_and_idle_cpu_is_not_charged_to_checkouts():
    table = rows(cpu_profile.table(result(), cpu_profile.REPO / "reports" / "profile" / "t"))
    assert table["order"] == ["5.00", "1.00", "40.0", "80 %"]
    assert table["kafka"] == ["4.00", "3.00", "10.0", "20 %"]
    assert table["**all processes**"] == ["**9.00**", "**4.00**", "**50.0**", "100 %"]


def test_processes_are_listed_by_what_checkouts_cost_them():
    table = cpu_profile.table(result(), cpu_profile.REPO / "reports" / "profile" / "t")
    assert table.index("| order |") < table.index("| kafka |")


class _Child:
    def __init__(self, pid):
        self.pid = pid


def test_each_gunicorn_worker_is_sampled_by_its_own_pid_under_the_instance_name(monkeypatch):
    monkeypatch.setattr(cpu_profile, "children", lambda pid: [_Child(pid + 1)])
    assert cpu_profile.sampled_processes(cpu_profile.Program("cart-1", 100)) == {"cart-1": 101}


def test_an_instance_with_several_workers_gets_a_graph_per_worker(monkeypatch):
    monkeypatch.setattr(cpu_profile, "children", lambda pid: [_Child(101), _Child(102)])
    assert cpu_profile.sampled_processes(cpu_profile.Program("cart-1", 100)) == {"cart-1.1": 101, "cart-1.2": 102}


def test_an_instance_without_workers_is_sampled_itself(monkeypatch):
    monkeypatch.setattr(cpu_profile, "children", lambda pid: [])
    assert cpu_profile.sampled_processes(cpu_profile.Program("cart-1", 100)) == {"cart-1": 100}
