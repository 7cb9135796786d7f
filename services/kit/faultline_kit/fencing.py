"""Fencing tokens on records: a writer that lost its lease cannot have its late records accepted."""
from __future__ import annotations

from typing import Iterable

FENCE_HEADER = "faultline-fence"


def header_value(headers: Iterable[tuple[str, bytes]] | None, name: str) -> str | None:
    for key, value in headers or ():
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None


class FenceGuard:
    """Refuses records stamped with a fencing token older than the newest seen for the same writer scope.

    A writer (the outbox relay) stamps `faultline-fence: <scope>/<token>`; a token only grows when the writer's
    lease changes hands, so a record with a lower token comes from a relay that lost its lease (paused, partitioned)
    and is dropped. What it carried is still in the outbox and the current holder publishes it.
    """

    def __init__(self) -> None:
        self._newest: dict[tuple[str, str, int], int] = {}

    def admits(self, topic: str, partition: int, headers: Iterable[tuple[str, bytes]] | None) -> bool:
        """Within one partition records are in append order, so a lower token after a higher one was written
        after the lease changed hands: by a writer that no longer held it."""
        stamp = header_value(headers, FENCE_HEADER)
        if not stamp:
            return True
        scope, _, raw = stamp.rpartition("/")
        try:
            token = int(raw)
        except ValueError:
            return True
        key = (scope, topic, partition)
        if token < self._newest.get(key, 0):
            return False
        self._newest[key] = token
        return True
