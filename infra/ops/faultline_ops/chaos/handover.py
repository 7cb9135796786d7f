"""What a clean stop of one consumer costs its group, with and without the LeaveGroup of a static member.

`python -m faultline_ops.chaos.handover [--rounds N]` runs against the broker of the stack the environment names
(`make up`'s, or the one FAULTLINE_TEST_PORT_OFFSET shifts): two static members of a fresh group share a fresh
6-partition topic; one is stopped cleanly, and the seconds until the other owns all 6 partitions are printed, once
with the kit's LeaveGroup by instance id and once without it (what kafka-python's close() alone does). Also the
stop's own duration, which the LeaveGroup lengthens. The topics and groups it makes are deleted afterwards.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid

from kafka import KafkaAdminClient

from faultline_kit.consumer import ConsumerLoop, ConsumerSpec
from faultline_kit.topology import ensure_topics

from .. import settings as stack_settings

PARTITIONS = 6


class _Nothing:
    def handles(self, event_type: str) -> bool:
        return False

    def __call__(self, envelope) -> None:
        return None


def _wait_for(condition, timeout_s: float, what: str) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.05)
    raise TimeoutError(f"no {what} within {timeout_s:.0f}s")


def one_stop(bootstrap: str, leave: bool) -> tuple[float, float]:
    """(seconds the stop took, seconds from the stop's end until the other member owns every partition)."""
    suffix = uuid.uuid4().hex[:8]
    topic, group = f"handover-{suffix}", f"handover-{suffix}"
    ensure_topics(bootstrap, partitions=PARTITIONS, topics=[topic])
    loops = [ConsumerLoop(ConsumerSpec(bootstrap, group, (topic,), f"{group}-{i}"), _Nothing(), publisher=None)
             for i in (1, 2)]
    if not leave:
        loops[1]._leave_group = lambda: None
    stops = [threading.Event(), threading.Event()]
    threads = [threading.Thread(target=loop.run, args=(stop,), daemon=True) for loop, stop in zip(loops, stops)]
    try:
        for thread in threads:
            thread.start()
        _wait_for(lambda: all(loop.stats.assigned for loop in loops)
                  and sum(len(loop.stats.assigned) for loop in loops) == PARTITIONS, 60, "balanced group")
        asked = time.monotonic()
        stops[1].set()
        threads[1].join(timeout=30)
        stopped = time.monotonic()
        owned = _wait_for(lambda: len(loops[0].stats.assigned) == PARTITIONS, 60, "handover")
        return stopped - asked, owned - stopped
    finally:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(timeout=30)
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            admin.delete_topics([topic])
            admin.delete_groups([group])
        finally:
            admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    bootstrap = stack_settings.from_env().kafka_bootstrap
    print("| clean stop of one static member | stop took (median) | others own every partition after (median, each) |")
    print("|---|---|---|")
    for leave in (True, False):
        runs = [one_stop(bootstrap, leave) for _ in range(args.rounds)]
        took, after = [r[0] for r in runs], [r[1] for r in runs]
        label = "with LeaveGroup by instance id" if leave else "without (close() only)"
        print(f"| {label} | {statistics.median(took):.2f} s | {statistics.median(after):.2f} s "
              f"({', '.join(f'{a:.2f}' for a in after)}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
