"""The publisher's deferred acks: a consumer's poll sends everything, then settles the acks in send order."""
from kafka.errors import KafkaTimeoutError

from faultline_kit.publisher import AckBatch


class Future:
    def __init__(self, error=None):
        self.error = error

    def get(self, timeout):
        if self.error is not None:
            raise self.error


class Span:
    def __init__(self):
        self.ended = False
        self.errors = []

    def end(self):
        self.ended = True

    def record_exception(self, exc):
        self.errors.append(exc)

    def set_status(self, status):
        pass


class Publisher:
    ack_timeout_s = 0.1

    def __init__(self):
        self.discarded = 0

    def discard(self):
        self.discarded += 1


def test_every_ack_in_order_counts_and_every_span_ends():
    publisher, spans = Publisher(), [Span(), Span()]
    batch = AckBatch(publisher)
    batch.add([Future(), Future()], spans)
    assert batch.sent == 2
    assert batch.settle() == 2 and batch.sent == 0
    assert all(span.ended and not span.errors for span in spans) and publisher.discarded == 0


def test_sends_after_the_first_unacknowledged_one_count_as_unacknowledged_and_the_producer_is_replaced():
    publisher, spans = Publisher(), [Span(), Span(), Span()]
    batch = AckBatch(publisher)
    batch.add([Future(), Future(KafkaTimeoutError("no ack")), Future()], spans)
    assert batch.settle() == 1
    assert [bool(span.errors) for span in spans] == [False, True, True]
    assert all(span.ended for span in spans) and publisher.discarded == 1
