"""Time as the services see it: a Lamport clock for ordering, a wall clock that can be skewed on purpose."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class LamportClock:
    """A thread-safe Lamport clock: tick before sending, observe what arrives."""

    def __init__(self, start: int = 0) -> None:
        self._time = start
        self._lock = threading.Lock()

    @property
    def time(self) -> int:
        with self._lock:
            return self._time

    def tick(self) -> int:
        with self._lock:
            self._time += 1
            return self._time

    def observe(self, remote_time: int) -> int:
        with self._lock:
            self._time = max(self._time, remote_time) + 1
            return self._time


class WallClock:
    """The one place a service reads the wall clock; FAULTLINE_CLOCK_SKEW_MS offsets it for experiments."""

    def __init__(self, skew_ms: int = 0) -> None:
        self._configured = timedelta(milliseconds=skew_ms)
        self._skew = self._configured

    @property
    def skew_ms(self) -> int:
        return int(self._skew.total_seconds() * 1000)

    def set_skew(self, skew_ms: int) -> None:
        """Experiments move the clock at run time (fault injection); nothing orders events by it."""
        self._skew = timedelta(milliseconds=skew_ms)

    def reset_skew(self) -> None:
        """Back to the skew FAULTLINE_CLOCK_SKEW_MS configured."""
        self._skew = self._configured

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._skew

    def now_iso(self) -> str:
        return self.now().isoformat()
