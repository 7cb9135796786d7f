from email_service import handlers
from email_service.events import OrderCancelled, OrderConfirmed, OrderRejected

from .fakes import FakeMailer, FakeSent

NOW = "2026-01-01T00:00:00+00:00"


CONFIRMED = OrderConfirmed(order_id="o-1", email="a@b.io", total_cents=1234, lines=[{"sku": "A"}])


def test_a_confirmation_mail_names_the_order_and_total():
    mail = handlers.compose("e-1", CONFIRMED)
    assert (mail.to, mail.subject, mail.message_id) == ("a@b.io", "Order o-1 confirmed", "e-1")
    assert "12.34" in mail.body


def test_rejection_and_cancellation_have_their_own_subjects():
    rejected = handlers.compose("e", OrderRejected(order_id="o-1", email="a@b.io", reason="no stock"))
    cancelled = handlers.compose("e", OrderCancelled(order_id="o-1", email="a@b.io", total_cents=5))
    assert "could not be placed" in rejected.subject and "no stock" in rejected.body
    assert cancelled.subject == "Order o-1 cancelled"


def test_one_mail_per_event_however_often_it_is_delivered():
    mailer, sent = FakeMailer(), FakeSent()
    handlers.notify_customer(CONFIRMED, "e-1", mailer, sent, lambda: NOW)
    handlers.notify_customer(CONFIRMED, "e-1", mailer, sent, lambda: NOW)
    assert len(mailer.sent) == 1 and sent.records["e-1"].event_type == "OrderConfirmed"


def test_a_failed_send_records_nothing_so_a_redelivery_sends_again():
    class Failing(FakeMailer):
        def send(self, mail, on_accepted):
            raise OSError("smtp down")

    sent = FakeSent()
    try:
        handlers.notify_customer(CONFIRMED, "e-1", Failing(), sent, lambda: NOW)
    except OSError:
        pass
    assert not sent.already_sent("e-1")


def test_the_mail_is_recorded_as_soon_as_the_server_accepts_it():
    order = []

    class Ordering(FakeMailer):
        def send(self, mail, on_accepted):
            order.append("accepted")
            on_accepted()
            order.append("quit")

    class Recording(FakeSent):
        def record(self, sent):
            order.append("recorded")
            return super().record(sent)

    handlers.notify_customer(CONFIRMED, "e-1", Ordering(), Recording(), lambda: NOW)
    assert order == ["accepted", "recorded", "quit"]
