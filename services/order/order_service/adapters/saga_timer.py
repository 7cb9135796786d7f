"""How long sagas take, as a histogram: checkout accepted -> terminal state, both ends read on order's own clock."""
from __future__ import annotations

from datetime import datetime

from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View

from ..domain import Order

SAGA_METRIC = "faultline.saga.duration"
# Sagas take tens of milliseconds to a few seconds (minutes while Kafka is down): buckets to match.
SAGA_VIEW = View(instrument_name=SAGA_METRIC, aggregation=ExplicitBucketHistogramAggregation(
    (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)))


class SagaTimer:
    def __init__(self, meter: Meter) -> None:
        self._histogram = meter.create_histogram(SAGA_METRIC, unit="s",
                                                 description="order placed until CONFIRMED or REJECTED")

    def record(self, order: Order) -> None:
        elapsed = datetime.fromisoformat(order.updated_at) - datetime.fromisoformat(order.created_at)
        self._histogram.record(max(elapsed.total_seconds(), 0.0), {"outcome": order.status.value})
