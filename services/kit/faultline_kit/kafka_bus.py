"""Kafka transport, one import away: the publisher, the consumer loop and record fencing.

The pieces live in publisher.py, consumer.py and fencing.py; this module names them together.
"""
from .consumer import (HOPS_HEADER, RETRY_AT_HEADER, ConsumerLoop, ConsumerSpec, ConsumerStats, Dependency,
                       DependencyDown, EnvelopeHandler, RetryPolicy)
from .fencing import FENCE_HEADER, FenceGuard
from .publisher import TRACE_HEADERS, EventPublisher, Headers, KafkaUnavailable, broker_reachable

__all__ = ["ConsumerLoop", "ConsumerSpec", "ConsumerStats", "EnvelopeHandler", "Dependency", "DependencyDown", "EventPublisher", "FENCE_HEADER",
           "FenceGuard", "HOPS_HEADER", "Headers", "KafkaUnavailable", "RETRY_AT_HEADER", "RetryPolicy",
           "TRACE_HEADERS", "broker_reachable"]
