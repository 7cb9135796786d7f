"""CPU seconds of the stack's processes, read with psutil: shared by `make bench` and `make profile`."""
from __future__ import annotations

from dataclasses import dataclass

import psutil

from faultline_ops import settings as stack_settings
from faultline_ops import supervisor


@dataclass(frozen=True)
class Program:
    name: str      # supervisor's program name: order-1, kafka, redis...
    pid: int

    @property
    def group(self) -> str:
        """order-1 -> order; kafka -> kafka."""
        head, _, tail = self.name.rpartition("-")
        return head if tail.isdigit() else self.name

    @property
    def is_service(self) -> bool:
        return self.group in stack_settings.SERVICES


def programs(settings: stack_settings.Settings) -> list[Program]:
    return [Program(info.name, info.pid) for info in supervisor.processes(settings) if info.pid]


def children(pid: int) -> list[psutil.Process]:
    """A process's direct children now (a gunicorn master's workers); none if it is gone."""
    try:
        return psutil.Process(pid).children()
    except psutil.Error:
        return []


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and every child it has now (gunicorn's workers, Kafka's JVM)."""
    try:
        root = psutil.Process(pid)
        total = 0.0
        for process in (root, *root.children(recursive=True)):
            times = process.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def cpu_s(running: list[Program]) -> dict[str, float]:
    return {p.name: tree_cpu_s(p.pid) for p in running}


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: max(after.get(name, 0.0) - was, 0.0) for name, was in before.items()}
