"""The kit's gunicorn settings on a real gunicorn: on SIGTERM a keep-alive connection left idle is closed by the
instance while it still serves, so the client's next request goes out on a new connection (to a ready instance
behind a Service) instead of into one nobody reads any more."""
from __future__ import annotations

import http.client
import os
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path

from support.stack import eventually

TESTS = Path(__file__).resolve().parents[1]
DRAIN_S = 5  # long enough that the checks below happen inside the drain, whatever the machine's load


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keep_alive_get(port: int) -> http.client.HTTPConnection | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/livez")
        response = conn.getresponse()
        response.read()
    except OSError:
        conn.close()
        return None
    assert response.status == 200 and response.getheader("Connection", "").lower() != "close"
    return conn


def closed_by_server(conn: http.client.HTTPConnection) -> bool:
    readable, _, _ = select.select([conn.sock], [], [], 0)
    return bool(readable) and conn.sock.recv(1, socket.MSG_PEEK) == b""


def test_a_connection_idle_at_sigterm_is_closed_while_the_instance_still_serves(tmp_path):
    port = free_port()
    env = {**os.environ, "FAULTLINE_BIND": f"127.0.0.1:{port}", "FAULTLINE_DRAIN_DELAY_S": str(DRAIN_S),
           "FAULTLINE_SERVICE": "drain-test"}
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:faultline_kit.gunicorn_conf",
                               "--chdir", str(TESTS), "support.drain_app:create_app()"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        idle = eventually(lambda: keep_alive_get(port), 30, what="gunicorn answering")
        assert not closed_by_server(idle)
        server.send_signal(signal.SIGTERM)
        eventually(lambda: closed_by_server(idle), DRAIN_S - 2, what="the idle connection closed by the server")
        late = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        late.request("GET", "/livez")
        response = late.getresponse()
        assert response.status == 200 and response.getheader("Connection", "").lower() == "close"
        late.close()
        idle.close()
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
