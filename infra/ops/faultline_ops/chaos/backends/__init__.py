"""Where faults are applied: the local stack (supervisord, Toxiproxy, /admin/faults) or a Kubernetes cluster.

A backend applies one step's fault and hands back an `ActiveFault` that lifts it; it also answers readiness and
runs the named rollbacks an experiment declares (start-all, clear-faults, reset-proxies), which the runner calls
at the end of every run, whatever happened.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from ..experiment import Step


@dataclass
class ActiveFault:
    """A fault in place: `lift()` removes it (for a kill: returns once the process was restarted) and `ready()`
    says whether its target serves again."""

    description: str
    lift: Callable[[], None]
    ready: Callable[[], bool]
    lifted: bool = False
    # What the backend measured about this fault (e.g. "new partition leader after" -> seconds), filled while the
    # fault is on, shown in the report.
    figures: dict = field(default_factory=dict)

    def lift_once(self) -> None:
        if not self.lifted:
            self.lifted = True
            self.lift()


class Backend(Protocol):
    name: str

    def preflight(self) -> list[str]:
        """Problems that make a run pointless (the stack is not up); empty when it can start."""
        ...

    def readiness(self) -> tuple[dict[str, bool], dict[str, bool]]:
        """Per service (through its front) and per replica: does it answer ready right now?"""
        ...

    def apply(self, step: Step) -> ActiveFault: ...

    def rollback(self, name: str) -> str:
        """Run one named rollback; say what it did."""
        ...


def backend_for(name: str, settings) -> Backend:
    if name == "local":
        from .local import LocalBackend

        return LocalBackend(settings)
    if name == "k8s":
        from .k8s import KubernetesBackend

        return KubernetesBackend.from_kube_config(settings)
    raise ValueError(f"unknown backend {name!r}: local or k8s")
