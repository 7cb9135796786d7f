"""Gunicorn settings for every service instance: `gunicorn -c python:faultline_kit.gunicorn_conf 'x.app:create_app()'`.

One worker process per instance serves HTTP on threads and runs the instance's background tasks (consumers,
relays). SIGTERM, all within 10 s:
1. /readyz answers 503 at once, but the instance keeps serving for FAULTLINE_DRAIN_DELAY_S (2 s), so the load
   balancer (HAProxy checks every 1 s, two failures) or a Kubernetes endpoint update stops sending it traffic
   before it stops accepting: nobody's request waits in a listen queue nobody reads; every answer in that window
   says `Connection: close`, so a keep-alive client (which kube-proxy's conntrack keeps pinned to this pod after
   the Service dropped it) reconnects to a ready instance instead of finding its connection closed under it; and
   the connections idle at SIGTERM are closed at once (within the worker's next 1 s turn), while it still serves:
   gthread's worker stops reading idle keep-alive connections when it stops accepting but leaves them open until
   the process exits, so a client idle through the drain sent its next request into a connection nobody read and
   got a reset (the cluster's rolling-restart test caught one such GET);
2. the worker stops accepting and finishes the requests in flight;
3. worker_exit stops the background tasks: consumers commit their offsets (static group members: the group keeps
   their partitions for the session timeout, for the instance to come back under its id).
gunicorn's graceful_timeout (8 s) bounds the whole sequence.

Idle keep-alive connections stay open for 60 s, far longer than a proxy in front keeps one idle:
HAProxy pools its idle server connections and closes half of the unused ones every 5 s (pool-purge-delay). With
gunicorn's default-like 5 s, HAProxy now and then sent a request on a connection gunicorn was closing at that very
moment, and answered its client by closing the client's connection too, without a response (HAProxy's documented
way of passing the race on): one request in about 600 when clients idled about 5 s between requests.
"""
import os
import signal
import threading

from faultline_kit.logs import configure_logging
from faultline_kit.runtime import EXTENSION_KEY

bind = os.environ.get("FAULTLINE_BIND", "127.0.0.1:8000")
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("FAULTLINE_HTTP_THREADS", "16"))
graceful_timeout = 8
drain_delay_s = float(os.environ.get("FAULTLINE_DRAIN_DELAY_S", "2"))
timeout = 30
keepalive = 60
accesslog = None
errorlog = "-"
loglevel = os.environ.get("FAULTLINE_LOG_LEVEL", "info")


def post_worker_init(worker):
    configure_logging(os.environ.get("FAULTLINE_SERVICE", "faultline"), os.environ.get("FAULTLINE_INSTANCE_ID", ""),
                      loglevel.upper())
    runtime = worker.wsgi.extensions.get(EXTENSION_KEY)
    if runtime is not None:
        runtime.start()
        _drain_before_exit(worker, runtime)


def _drain_before_exit(worker, runtime):
    """Turn not-ready on SIGTERM, close the idle keep-alive connections, and hand the signal to gunicorn only after
    the drain delay."""
    stop_accepting = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):
        runtime.draining = True
        close_idle_connections(worker)
        threading.Timer(drain_delay_s, stop_accepting, args=(signum, frame)).start()

    if drain_delay_s > 0 and callable(stop_accepting):
        signal.signal(signal.SIGTERM, on_sigterm)


def close_idle_connections(worker):
    """From now on no connection is kept alive (keepalive 0: gthread answers every request with `Connection: close`
    and closes the connection after it), and those idle now expire at once: gthread's worker closes expired
    keep-alive connections at every turn of its loop (gunicorn 23's `murder_keepalived` over `_keep`, by each
    connection's `timeout`)."""
    worker.cfg.set("keepalive", 0)
    for conn in list(getattr(worker, "_keep", ())):
        conn.timeout = 0


def worker_int(worker):
    _stop_runtime(worker)


def worker_exit(server, worker):
    _stop_runtime(worker)


def _stop_runtime(worker):
    wsgi = getattr(worker, "wsgi", None)
    runtime = wsgi.extensions.get(EXTENSION_KEY) if wsgi is not None else None
    if runtime is not None and runtime.started:
        runtime.stop(deadline_s=4.0)
