"""The drain closes connections: from SIGTERM on, no answer keeps its connection and idle ones expire at once, so
a keep-alive client moves to a ready instance (on a real gunicorn: tests/integration/test_gunicorn_drain.py)."""

from types import SimpleNamespace

from faultline_kit import gunicorn_conf


class Config:
    def __init__(self):
        self.keepalive = gunicorn_conf.keepalive

    def set(self, name, value):
        setattr(self, name, value)


def test_before_the_drain_connections_are_kept_alive():
    assert Config().keepalive == 60


def test_from_the_drain_on_no_answer_keeps_its_connection_and_idle_ones_expire():
    idle = [SimpleNamespace(timeout=1e12), SimpleNamespace(timeout=1e12)]
    worker = SimpleNamespace(cfg=Config(), _keep=list(idle))
    gunicorn_conf.close_idle_connections(worker)
    assert worker.cfg.keepalive == 0
    assert [conn.timeout for conn in idle] == [0, 0]
