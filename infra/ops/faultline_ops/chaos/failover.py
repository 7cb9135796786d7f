"""How long a replicated part took to replace a node the chaos backend took away: a new partition leader, a new
KRaft controller, a new Redis primary. A watch polls in the background from the moment of the fault and writes
its figure into the fault's `figures` when the replacement shows (or `not within N s`)."""
from __future__ import annotations

import threading
import time
from typing import Callable

POLL_S = 0.25
DEADLINE_S = 90.0


class FailoverWatch:
    """Polls `probe()` until `replaced(value)` holds; then figures[label] = seconds since start (one decimal) and
    figures[label_value] = what replaced it."""

    def __init__(self, figures: dict, label: str, probe: Callable[[], object], replaced: Callable[[object], bool],
                 describe: Callable[[object], str] = str, deadline_s: float = DEADLINE_S) -> None:
        self.figures, self.label = figures, label
        self.probe, self.replaced, self.describe = probe, replaced, describe
        self.deadline_s = deadline_s
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"failover-{label}", daemon=True)

    def start(self) -> "FailoverWatch":
        self._thread.start()
        return self

    def _run(self) -> None:
        while time.monotonic() - self._started < self.deadline_s:
            try:
                value = self.probe()
            except Exception:  # noqa: BLE001 - a probe failing mid-failover is part of the failover
                value = None
            if value is not None and self.replaced(value):
                self.figures[self.label] = round(time.monotonic() - self._started, 1)
                self.figures[f"{self.label}: by"] = self.describe(value)
                return
            time.sleep(POLL_S)
        self.figures[self.label] = f"not within {self.deadline_s:.0f} s"
