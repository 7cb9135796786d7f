"""The HA profile's replicated parts as the control room shows them: Kafka's brokers, the active KRaft controller,
each event partition's leader, replicas and ISR; Redis's primary as the Sentinels name it and each replica's lag.
Read through faultline_ops.ha (bounded timeouts); None outside the HA profile."""
from __future__ import annotations

from dataclasses import asdict


class ReplicationReader:
    def __init__(self, stack) -> None:
        self.stack = stack

    def __call__(self) -> dict | None:
        if not self.stack.ha:
            return None
        from faultline_ops import ha

        kafka = ha.kafka_view(self.stack, topics=list(ha.STATUS_TOPICS))
        redis = ha.redis_view(self.stack)
        return {
            "kafka": {"brokers": list(kafka.brokers), "controller": kafka.controller, "epoch": kafka.controller_epoch,
                      "voters": list(kafka.voters), "error": kafka.error,
                      "partitions": [{**asdict(p), "under_replicated": len(p.isr) < len(p.replicas)}
                                     for p in kafka.partitions]},
            "redis": {"primary": redis.primary, "agreeing": redis.sentinels_agreeing, "sentinels": redis.sentinels,
                      "error": redis.error, "replicas": [asdict(r) for r in redis.replicas]},
        }
