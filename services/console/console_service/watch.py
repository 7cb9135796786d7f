"""Whether anyone is looking at the console, and so how often it should collect.

Every collection round asks each instance for its board and readiness (and a readiness is a Redis and a Kafka
probe on the instance), so a console collecting twice a second for nobody was the largest single cost of the stack
at rest. A page, its long poll and `/api/state` `touch()` the watchers; the rounds run at their full pace while
that happened within `linger_s`, and at the idle pace otherwise. A touch also wakes a round that sleeps at the idle
pace, so a page opened after a quiet spell gets a fresh round at once, not the idle round's age.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

TICK_S = 0.25   # how often a sleeping round checks for a stop (a stop must not wait for an idle pace)


class Watchers:
    def __init__(self, linger_s: float = 20.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.linger_s = linger_s
        self._clock = clock
        self._last_touch: float | None = None
        self._woken = threading.Event()

    def touch(self) -> None:
        was_watched = self.watched()
        self._last_touch = self._clock()
        if not was_watched:          # a watched console already runs at full pace: its sleeps need no waking
            self._woken.set()

    def watched(self) -> bool:
        return self._last_touch is not None and self._clock() - self._last_touch <= self.linger_s

    def pace(self, watched_s: float, idle_s: float) -> float:
        """The pause between two rounds for the state the console is in now."""
        return watched_s if self.watched() else idle_s

    def sleep(self, stop: threading.Event, seconds: float) -> None:
        """Sleep up to `seconds`; a stop ends it within TICK_S, and the first touch after a quiet spell at once."""
        self._woken.clear()
        deadline = self._clock() + seconds
        while not stop.is_set():
            remaining = deadline - self._clock()
            if remaining <= 0 or self._woken.wait(min(remaining, TICK_S)):
                return
