"""Gunicorn settings for every service instance: `gunicorn -c python:faultline_kit.gunicorn_conf 'x.app:create_app()'`.

One worker process per instance serves HTTP on threads and runs the instance's background tasks (consumers,
relays). SIGTERM: the worker stops accepting, finishes in-flight requests (graceful_timeout), then worker_exit
stops the background tasks, which commit their offsets and leave the consumer group; all within 10 s.
"""
import os

from faultline_kit.logs import configure_logging
from faultline_kit.runtime import EXTENSION_KEY

bind = os.environ.get("FAULTLINE_BIND", "127.0.0.1:8000")
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("FAULTLINE_HTTP_THREADS", "16"))
graceful_timeout = 3
timeout = 30
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = os.environ.get("FAULTLINE_LOG_LEVEL", "info")


def post_worker_init(worker):
    configure_logging(os.environ.get("FAULTLINE_SERVICE", "faultline"), os.environ.get("FAULTLINE_INSTANCE_ID", ""),
                      loglevel.upper())
    runtime = worker.wsgi.extensions.get(EXTENSION_KEY)
    if runtime is not None:
        runtime.start()


def worker_int(worker):
    _stop_runtime(worker)


def worker_exit(server, worker):
    _stop_runtime(worker)


def _stop_runtime(worker):
    wsgi = getattr(worker, "wsgi", None)
    runtime = wsgi.extensions.get(EXTENSION_KEY) if wsgi is not None else None
    if runtime is not None and runtime.started:
        runtime.stop(deadline_s=5.0)
