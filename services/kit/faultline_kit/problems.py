"""RFC 9457 problem details for every error a service answers, and request-body parsing that names the field."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pybreaker
import redis
from flask import Flask, Request, jsonify
from pydantic import BaseModel, Field, ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """Raise anywhere in an entrypoint to answer with a problem body."""

    def __init__(self, status: int, title: str, detail: str = "", type_: str = "about:blank",
                 errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.errors = errors or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        return body


def problem_response(problem: Problem):
    response = jsonify(problem.body())
    response.status_code = problem.status
    response.mimetype = PROBLEM_CONTENT_TYPE
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def validation_problem(exc: ValidationError) -> Problem:
    errors = [
        {"field": ".".join(str(part) for part in err["loc"]) or "(body)", "message": err["msg"]}
        for err in exc.errors()
    ]
    fields = ", ".join(e["field"] for e in errors)
    return Problem(422, "Invalid request body", f"invalid field(s): {fields}", errors=errors)


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    """The JSON body as `model`, or a 400/415/422 problem saying what is wrong."""
    if not request.is_json:
        raise Problem(415, "Unsupported media type", "send a JSON body with Content-Type: application/json")
    document = request.get_json(silent=True)
    if not isinstance(document, dict):
        raise Problem(400, "Malformed JSON", "the body must be a JSON object")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise validation_problem(exc) from exc


def register_problem_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(problem: Problem):
        return problem_response(problem)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return problem_response(validation_problem(exc))

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    def _redis_down(exc: Exception):
        log.warning("redis unavailable: %r", exc)
        return problem_response(Problem(503, "Storage unavailable", "Redis does not answer; try again later",
                                        headers={"Retry-After": "5"}))

    @app.errorhandler(pybreaker.CircuitBreakerError)
    def _breaker_open(exc: Exception):
        return problem_response(Problem(503, "Dependency unavailable", f"circuit breaker open: {exc}",
                                        headers={"Retry-After": "5"}))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem_response(Problem(exc.code or 500, exc.name, exc.description or ""))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return problem_response(Problem(500, "Internal Server Error", "the error was logged"))


def int_query_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within bounds, or a 400 problem naming it."""
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Problem(400, "Invalid query parameter", f"{name} must be an integer from {low} to {high}",
                      errors=[{"field": name, "message": f"integer {low}..{high}"}])
    return int(raw)


OFFSET_MAX = 10**9
LIMIT_DEFAULT, LIMIT_MAX = 100, 1000


class PageQuery(BaseModel):
    """The query of a listing, as its OpenAPI document shows it (PageRequest.of reads it with these bounds)."""

    offset: int = Field(default=0, ge=0, le=OFFSET_MAX, description="where the page starts")
    limit: int = Field(default=LIMIT_DEFAULT, ge=1, le=LIMIT_MAX, description="how many items at most")


@dataclass(frozen=True)
class PageRequest:
    """`?offset=&limit=` of a listing: where to start and how many (1..1000, default 100)."""

    offset: int
    limit: int

    @classmethod
    def of(cls, request: Request) -> "PageRequest":
        return cls(int_query_arg(request, "offset", 0, 0, OFFSET_MAX),
                   int_query_arg(request, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX))

    def body(self, name: str, items: list[Any], total: int) -> dict[str, Any]:
        """The listing's JSON: the items, the total, and the offset of the next page (null on the last)."""
        end = self.offset + len(items)
        return {name: items, "total": total, "next_offset": end if end < total else None}
