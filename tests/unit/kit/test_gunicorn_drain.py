"""The drain window's answers close their connections: a keep-alive client moves to a ready instance."""

from types import SimpleNamespace

from faultline_kit import gunicorn_conf
from faultline_kit.runtime import EXTENSION_KEY


def worker_with(draining: bool) -> SimpleNamespace:
    runtime = SimpleNamespace(draining=draining)
    return SimpleNamespace(wsgi=SimpleNamespace(extensions={EXTENSION_KEY: runtime}))


def test_a_request_while_draining_is_answered_with_connection_close():
    request = SimpleNamespace(must_close=False)
    gunicorn_conf.pre_request(worker_with(draining=True), request)
    assert request.must_close is True


def test_a_request_before_the_drain_keeps_its_connection():
    request = SimpleNamespace(must_close=False)
    gunicorn_conf.pre_request(worker_with(draining=False), request)
    assert request.must_close is False
