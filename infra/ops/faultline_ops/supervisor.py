"""Talking to supervisord: start it, ask it to apply a changed file, read its programs, shut it down."""

from __future__ import annotations

import os
import subprocess
import xmlrpc.client
from dataclasses import dataclass

from faultline_ops.errors import StackError
from faultline_ops.probes import wait_until
from faultline_ops.settings import Settings


@dataclass(frozen=True)
class ProcessInfo:
    name: str
    group: str
    state: str
    pid: int
    description: str

    @property
    def qualified_name(self) -> str:
        return self.name if self.group == self.name else f"{self.group}:{self.name}"


def _rpc(settings: Settings) -> xmlrpc.client.ServerProxy:
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, f"unix://{settings.supervisor_socket}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def supervisord_pid(settings: Settings) -> int | None:
    """The pid of this state dir's supervisord, when one is alive and answering."""
    try:
        return int(_rpc(settings).supervisor.getPID())
    except (OSError, xmlrpc.client.Error):
        return None


def is_running(settings: Settings) -> bool:
    return supervisord_pid(settings) is not None


def _clean_environment() -> dict[str, str]:
    """The environment supervisord is started with: everything a program needs is in its own section."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "FAULTLINE_"))}


def _bin(settings: Settings, name: str) -> str:
    return str(settings.venv_bin / name)


def start(settings: Settings, deadline_s: float = 15.0) -> None:
    subprocess.run(
        [_bin(settings, "supervisord"), "-c", str(settings.supervisor_conf)],
        check=True, env=_clean_environment(), cwd=settings.home,
    )
    if not wait_until(lambda: is_running(settings), deadline_s):
        raise StackError(f"supervisord did not answer on {settings.supervisor_socket}; "
                           f"see {settings.logs / 'supervisord.log'}")


def ctl(settings: Settings, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_bin(settings, "supervisorctl"), "-c", str(settings.supervisor_conf), *args],
        check=check, capture_output=True, text=True,
    )


def apply_config(settings: Settings) -> None:
    """Re-read the rendered file: start added programs, restart changed ones, stop removed ones."""
    ctl(settings, "update")


def start_programs(settings: Settings, names: list[str]) -> None:
    """Ask supervisord to start programs (qualified names) without waiting; running ones are left alone.

    Whether they come up is judged by their readiness, not here: a crash-looping program stays in
    supervisord's hands (backoff and restart), like a pod.
    """
    from supervisor.xmlrpc import Faults

    rpc = _rpc(settings)
    for name in names:
        try:
            rpc.supervisor.startProcess(name, False)
        except xmlrpc.client.Fault as fault:
            if fault.faultCode != Faults.ALREADY_STARTED:
                raise StackError(f"supervisord could not start {name}: {fault.faultString}") from None


def request_stop(settings: Settings, names: list[str]) -> None:
    """Ask supervisord to stop programs, all at once, without waiting: each is STOPPING (its stopsignal sent, no
    restart to come) when this returns. `supervisorctl stop a b` would stop them one after another."""
    rpc = _rpc(settings)
    for name in names:
        try:
            rpc.supervisor.stopProcess(name, False)
        except xmlrpc.client.Fault:
            pass   # not running: nothing to stop


def stop_together(settings: Settings, names: list[str], deadline_s: float) -> bool:
    """Stop programs all at once (request_stop); True once none is running any more."""
    request_stop(settings, names)
    return wait_stopped(settings, names, deadline_s)


def wait_stopped(settings: Settings, names: list[str], deadline_s: float, interval_s: float = 0.2) -> bool:
    """True once supervisord runs none of `names` any more (nor is starting or stopping one), within `deadline_s`."""
    running = ("STARTING", "RUNNING", "BACKOFF", "STOPPING")
    return wait_until(lambda: not any(p.qualified_name in names and p.state in running
                                      for p in processes(settings)), deadline_s, interval_s=interval_s)


def processes(settings: Settings) -> list[ProcessInfo]:
    try:
        infos = _rpc(settings).supervisor.getAllProcessInfo()
    except (OSError, xmlrpc.client.Error):
        return []
    return [ProcessInfo(i["name"], i["group"], i["statename"], int(i["pid"]), i["description"]) for i in infos]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def shutdown(settings: Settings, deadline_s: float = 60.0) -> bool:
    """Stop every program and supervisord itself; wait until supervisord has exited. False if none ran."""
    pid = supervisord_pid(settings)
    if pid is None:
        return False
    ctl(settings, "shutdown", check=False)
    if not wait_until(lambda: not _pid_alive(pid), deadline_s, interval_s=0.2):
        raise StackError(f"supervisord (pid {pid}) still running {deadline_s:.0f} s after shutdown")
    return True
