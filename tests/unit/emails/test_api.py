"""Email's consumer side and HTTP route, driven through create_app with fakes (no Redis, Kafka or SMTP)."""
import pytest

from email_service.app import create_app
from email_service.bootstrap import bootstrap
from email_service.config import EmailSettings
from email_service.events import OrderCancelled, OrderConfirmed, OrderRejected
from support.apps import UNREACHABLE, bus_of, envelope_of

from .fakes import FakeMailer, FakeSent


@pytest.fixture
def fakes():
    return FakeMailer(), FakeSent()


@pytest.fixture
def app(fakes):
    mailer, sent = fakes
    settings = EmailSettings.from_env(UNREACHABLE)
    return create_app(settings, bootstrap(settings, mailer=mailer, sent=sent))


def test_each_outcome_event_mails_the_customer_once(app, fakes):
    mailer, _ = fakes
    confirmed = envelope_of(OrderConfirmed(order_id="o-1", email="a@b.io", total_cents=300, lines=[{"sku": "FL-001"}]), "o-1")
    for envelope in (confirmed, confirmed,
                     envelope_of(OrderRejected(order_id="o-2", email="b@b.io", reason="no stock"), "o-2"),
                     envelope_of(OrderCancelled(order_id="o-1", email="a@b.io", total_cents=300), "o-1", 3)):
        bus_of(app)(envelope)
    assert [mail.subject for mail in mailer.sent] == [
        "Order o-1 confirmed", "Order o-2 could not be placed", "Order o-1 cancelled"]


def test_sent_mails_are_listed_per_order_and_by_page(app):
    bus_of(app)(envelope_of(OrderConfirmed(order_id="o-1", email="a@b.io", total_cents=300, lines=[{"sku": "FL-001"}]), "o-1"))
    bus_of(app)(envelope_of(OrderRejected(order_id="o-2", email="b@b.io", reason="x"), "o-2"))
    client = app.test_client()
    [mail] = client.get("/emails?order_id=o-1").get_json()["emails"]
    assert (mail["event_type"], mail["to"]) == ("OrderConfirmed", "a@b.io")
    assert client.get("/emails?limit=1").get_json()["total"] == 2


def test_health_answers_without_redis_kafka_or_smtp(app):
    assert app.test_client().get("/readyz").status_code == 200
