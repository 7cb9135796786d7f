"""The phase of the experiment running now, in a small JSON file the control room reads (local stack).

steady state (the hypothesis before any fault) -> fault (each step applied and lifted) -> recovery (waiting for
the hypothesis to hold again) -> verdict (verify, then PASS / FAIL / ABORTED).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

PHASES = ("steady state", "fault", "recovery", "verdict")


class PhaseFile:
    def __init__(self, path: Path, experiment: str, backend: str) -> None:
        self.path = path
        self.state = {"experiment": experiment, "backend": backend, "phase": None, "detail": "", "done": [],
                      "verdict": None, "started_at": time.time(), "updated_at": time.time(), "pid": os.getpid()}

    def __call__(self, phase: str, detail: str = "") -> None:
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        current = self.state["phase"]
        if current and current != phase and current not in self.state["done"]:
            self.state["done"].append(current)
        self.state.update(phase=phase, detail=detail)
        self._write()

    def finish(self, verdict: str, detail: str = "") -> None:
        self.state.update(phase="verdict", verdict=verdict, detail=detail,
                          done=[p for p in PHASES if p != "verdict"] if verdict != "ABORTED" else self.state["done"])
        self._write()

    def _write(self) -> None:
        self.state["updated_at"] = time.time()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_suffix(".tmp")
            partial.write_text(json.dumps(self.state))
            partial.replace(self.path)
        except OSError:
            pass   # the control room is a viewer: an unwritable state dir must not fail the experiment
