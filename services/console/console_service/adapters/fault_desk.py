"""The faults the page's buttons put in place, applied and lifted through a chaos-runner backend."""
from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field

from faultline_ops.chaos.backends import ActiveFault, Backend

from ..actions import LIFT_VERBS, ActionRequest, step_for

log = logging.getLogger(__name__)


@dataclass
class DeskEntry:
    id: int
    action: ActionRequest
    fault: ActiveFault
    applied_at: float
    state: str = "active"            # active | lifting | lifted | failed
    error: str | None = None
    lifted_at: float | None = None

    def describe(self) -> dict:
        return {"id": self.id, "kind": self.action.kind, "what": self.action.describe(),
                "description": self.fault.description.removesuffix(" for 0 s"), "state": self.state, "error": self.error,
                "lift_verb": LIFT_VERBS[self.action.kind], "applied_at": self.applied_at,
                "lifted_at": self.lifted_at}


@dataclass
class FaultDesk:
    backend: Backend
    keep_lifted: int = 5
    _entries: dict[int, DeskEntry] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, action: ActionRequest) -> DeskEntry:
        """Apply at once (raises StackError when the backend refuses); the entry stays until lifted."""
        fault = self.backend.apply(step_for(action, self.backend.name))
        entry = DeskEntry(next(self._ids), action, fault, time.time())
        log.warning("console applied %s: %s", action.describe(), fault.description)
        with self._lock:
            self._entries[entry.id] = entry
        return entry

    def get(self, entry_id: int) -> DeskEntry | None:
        with self._lock:
            return self._entries.get(entry_id)

    def lift(self, entry: DeskEntry) -> None:
        """Lift in the background (a k8s kill waits for the replacement pod); the entry shows `lifting` meanwhile."""
        with self._lock:
            if entry.state != "active":
                return
            entry.state = "lifting"
        threading.Thread(target=self._lift, args=(entry,), name=f"lift-{entry.id}", daemon=True).start()

    def _lift(self, entry: DeskEntry) -> None:
        try:
            entry.fault.lift_once()
            entry.state = "lifted"
        except Exception as error:  # noqa: BLE001 - shown on the page
            entry.state, entry.error = "failed", str(error)
            log.warning("console could not lift %s: %s", entry.action.describe(), error)
        entry.lifted_at = time.time()
        with self._lock:
            done = [e for e in self._entries.values() if e.state in ("lifted", "failed")]
            for old in sorted(done, key=lambda e: e.id)[:-self.keep_lifted]:
                del self._entries[old.id]

    def entries(self) -> list[dict]:
        with self._lock:
            return [e.describe() for e in sorted(self._entries.values(), key=lambda e: e.id)]
