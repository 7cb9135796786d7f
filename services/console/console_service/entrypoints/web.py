"""HTTP -> the board and the fault desk: the page, its long-polled rounds, and the buttons' API (admin token)."""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, Flask, Response, jsonify, render_template, request

from faultline_kit.health import admin_only
from faultline_kit.problems import Problem, int_query_arg, parse_body
from faultline_ops.errors import StackError

from ..actions import ROUTES, SERVICE_NAMES, ActionRequest

FRAGMENTS = ("instances", "groups", "outbox", "orders", "figures", "faults", "chaos", "replication")
LONG_POLL_S = 10.0


def fragment_renderer(app: Flask) -> Callable[[dict], dict[str, str]]:
    """view -> {fragment id: HTML}, rendered once per round for every open page (no request needed)."""

    def render(view: dict) -> dict[str, str]:
        env = app.jinja_env
        html = {name: env.get_template(f"_{name}.html").render(view=view) for name in FRAGMENTS}
        html["topology"] = view["svg"]
        return html

    return render


def console_blueprint(deps, admin_token: Callable[[], str]) -> Blueprint:
    web = Blueprint("console", __name__)
    guarded = admin_only(admin_token)

    @web.get("/")
    def page():
        board = deps.board
        board.watchers.touch()
        fragments = board.fragments   # None until the first round: the page fills in from its event stream
        return render_template("index.html", fragments=fragments, services=SERVICE_NAMES, routes=ROUTES,
                               instances=deps.instances(), backend=deps.backend,
                               interval_ms=int(board.interval_s * 1000))

    @web.get("/api/view")
    def view():
        """Long poll: the rendered round newer than `after`, as soon as it exists (at most ~10 s later, else the
        current one). The page asks again at once, so it is one round behind at most."""
        after = int_query_arg(request, "after", 0, 0, 2**62)
        version, payload = deps.board.wait(after, LONG_POLL_S)
        if payload is None:
            raise Problem(503, "Not ready", "the first collection round has not finished yet",
                          headers={"Retry-After": "1"})
        response = Response(f'{{"version": {version}, {payload[1:]}', mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        return response

    @web.get("/api/state")
    def state():
        deps.board.watchers.touch()
        view = deps.board.view
        if view is None:
            raise Problem(503, "Not ready", "the first collection round has not finished yet")
        return jsonify({k: v for k, v in view.items() if k != "svg"})

    @web.get("/api/faults")
    def faults():
        return jsonify({"faults": deps.desk.entries()})

    @web.post("/api/faults")
    @guarded
    def apply_fault():
        action: ActionRequest = parse_body(request, ActionRequest)  # type: ignore[assignment]
        try:
            entry = deps.desk.apply(action)
        except (StackError, ValueError) as error:
            raise Problem(409, "Fault not applied", str(error)) from error
        return jsonify(entry.describe()), 201

    @web.delete("/api/faults/<int:entry_id>")
    @guarded
    def lift_fault(entry_id: int):
        entry = deps.desk.get(entry_id)
        if entry is None:
            raise Problem(404, "No such fault", f"no fault {entry_id} on this console")
        deps.desk.lift(entry)
        return jsonify(entry.describe()), 202

    return web
