"""/livez, /readyz and /openapi.json, the same on every service."""
from __future__ import annotations

import hmac
import logging
from functools import wraps
from typing import Any, Callable

from flask import Blueprint, current_app, jsonify, request

from .openapi import ApiDoc
from .problems import Problem
from .runtime import EXTENSION_KEY
from .telemetry import untraced

log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], bool]


def health_blueprint(checks: dict[str, ReadinessCheck], openapi: dict[str, Any],
                     degraded: dict[str, ReadinessCheck] | None = None) -> Blueprint:
    """Liveness says the process serves; readiness says every dependency in `checks` answers right now.

    `degraded` dependencies are reported but do not gate readiness: the instance still serves without them
    (order accepts orders into its outbox while Kafka is down).
    """
    degraded = degraded or {}
    blueprint = Blueprint("health", __name__)
    doc = ApiDoc(blueprint)

    @blueprint.get("/livez")
    @doc.route(ok={200: "process serves"})
    def livez():
        """Liveness"""
        return jsonify(status="ok")

    @blueprint.get("/readyz")
    @doc.route(ok={200: "ready", 503: "not ready (a dependency does not answer, or draining)"})
    def readyz():
        """Readiness (Redis and Kafka reachable)"""
        runtime = current_app.extensions.get(EXTENSION_KEY)
        results = {name: _safe(check) for name, check in checks.items()}
        draining = bool(runtime and runtime.draining)
        ready = all(results.values()) and not draining
        body = {"status": "ready" if ready else "not ready", "checks": results, "draining": draining}
        if degraded:
            body["degraded"] = {name: not _safe(check) for name, check in degraded.items()}
        return jsonify(body), 200 if ready else 503

    @blueprint.get("/openapi.json")
    @doc.route(ok={200: "OpenAPI 3.1"})
    def openapi_document():
        """This document"""
        return jsonify(openapi)

    return blueprint


def _safe(check: ReadinessCheck) -> bool:
    try:
        with untraced():
            return bool(check())
    except Exception as exc:  # noqa: BLE001 - a failing check means not ready, never a 500
        log.debug("readiness check failed: %r", exc)
        return False


# The same token in a header of its own: the Kubernetes API server's pod proxy (how the chaos runner reaches a pod
# from outside the cluster) consumes the Authorization header it authenticated the caller with.
ADMIN_TOKEN_HEADER = "X-Faultline-Admin-Token"


def supplied_admin_token() -> str:
    explicit = request.headers.get(ADMIN_TOKEN_HEADER)
    if explicit is not None:
        return explicit
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    return supplied if scheme.lower() == "bearer" else ""


def admin_only(token_getter: Callable[[], str]):
    """Guard an admin route with `Authorization: Bearer <FAULTLINE_ADMIN_TOKEN>` (or the token in
    X-Faultline-Admin-Token); 401 otherwise."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            supplied = supplied_admin_token()
            if not supplied or not hmac.compare_digest(supplied.encode(), token_getter().encode()):
                raise Problem(401, "Unauthorized", "admin routes need Authorization: Bearer <admin token>",
                              headers={"WWW-Authenticate": "Bearer"})
            return view(*args, **kwargs)

        return guarded

    return decorate
