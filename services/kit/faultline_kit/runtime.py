"""Background work that lives beside the HTTP server in one instance: consumers, relays, start-up tasks."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)

EXTENSION_KEY = "faultline.runtime"


@dataclass(frozen=True)
class BackgroundTask:
    """A named loop: `run(stop)` must return soon after `stop` is set."""

    name: str
    run: Callable[[threading.Event], None]


class BackgroundRuntime:
    """Starts tasks on daemon threads after the server forks and stops them on SIGTERM, within a deadline."""

    def __init__(self, tasks: list[BackgroundTask] | None = None, on_stop: list[Callable[[], None]] | None = None):
        self.tasks = list(tasks or [])
        self._on_stop = list(on_stop or [])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.draining = False

    def add_stop_hook(self, hook: Callable[[], None]) -> None:
        self._on_stop.append(hook)

    @property
    def started(self) -> bool:
        return bool(self._threads)

    def start(self) -> None:
        if self._threads:
            return
        for task in self.tasks:
            thread = threading.Thread(target=self._guarded(task), name=task.name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("background tasks started: %s", [t.name for t in self.tasks])

    def _guarded(self, task: BackgroundTask) -> Callable[[], None]:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    task.run(self._stop)
                    return
                except Exception:  # noqa: BLE001 - a crashed loop is logged and restarted, never silently gone
                    log.exception("background task %s crashed; restarting in 1s", task.name)
                    self._stop.wait(1.0)

        return run

    def stop(self, deadline_s: float = 6.0) -> None:
        """Signal every task, wait for them up to the deadline, then run stop hooks (close producers...)."""
        if self._stop.is_set():
            return
        self.draining = True
        self._stop.set()
        per_thread = deadline_s / max(len(self._threads), 1)
        for thread in self._threads:
            thread.join(timeout=per_thread)
            if thread.is_alive():
                log.warning("background task %s did not stop in time", thread.name)
        for hook in self._on_stop:
            try:
                hook()
            except Exception:  # noqa: BLE001
                log.exception("stop hook failed")
        log.info("background tasks stopped")
