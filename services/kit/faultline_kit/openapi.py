"""OpenAPI 3.1 generated from the routes themselves (SpecTree): a blueprint factory makes an `ApiDoc`, each route
says what it reads (the pydantic models it validates with) and what it answers, and `describe` renders the
service's document from those declarations. Nothing about a route is written twice.

A route keeps validating with `faultline_kit.problems.parse_body` (our problem bodies); SpecTree only documents
(`skip_validation`), so what a client sees is unchanged.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from flask import Blueprint, Flask
from pydantic import BaseModel, Field, RootModel
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from .problems import PROBLEM_CONTENT_TYPE

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
ADMIN = {"admin": []}
_ATTRIBUTE = "faultline_api_doc"


class ProblemBody(BaseModel):
    """The JSON problem body every error answers with."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, Any]] | None = Field(default=None, description="one entry per bad field")


class JsonObject(RootModel[dict[str, Any]]):
    """A JSON object (the routes build their answers from domain objects, not from response models)."""


def _model_name(model: type) -> str:
    return model.__name__


def _nested_name(parent: str, child: str) -> str:
    return child


class ApiDoc:
    """The OpenAPI declarations of one blueprint's routes. Create it in the blueprint factory: `doc = ApiDoc(api)`,
    then `@doc.route(ok={200: "..."}, problems={404: "..."}, json=Model, query=..., headers=...)` under the route."""

    def __init__(self, blueprint: Blueprint) -> None:
        self.spec = SpecTree("flask", mode="strict", annotations=False, naming_strategy=_model_name,
                             nested_naming_strategy=_nested_name, openapi_version=OPENAPI_VERSION,
                             security_schemes=[SecurityScheme(name="admin", data=SecuritySchemeData(
                                 type=SecureType.HTTP, scheme="bearer"))])
        setattr(blueprint, _ATTRIBUTE, self)

    def route(self, ok: dict[int, str], problems: dict[int, str] | None = None, *,
              security: dict[str, list] | None = None, **models: type[BaseModel]) -> Callable:
        """Document a route: its success answers, the problems it answers with and the models it reads
        (`json`, `query`, `headers`); the route's docstring gives the summary."""
        problems = problems or {}
        codes = {**{f"HTTP_{code}": (JsonObject, text) for code, text in ok.items()},
                 **{f"HTTP_{code}": (ProblemBody, text) for code, text in problems.items()}}
        # SpecTree adds a validation-error answer under this status unless the route declares it already: name one
        # the route declares, so no answer appears that the route does not give.
        declared = min(problems or ok)
        return self.spec.validate(resp=Response(**codes), security=security, skip_validation=True,
                                  validation_error_status=declared, **models)


def _problem_media_type(document: dict[str, Any]) -> None:
    """Problems are served as application/problem+json; SpecTree names every JSON answer application/json."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for answer in operation.get("responses", {}).values():
                content = answer.get("content") or {}
                schema = content.get("application/json", {}).get("schema", {})
                if schema.get("$ref", "").endswith(f"/{ProblemBody.__name__}"):
                    answer["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}


def _routes_only(factory: Callable[..., Blueprint]) -> Blueprint:
    """The blueprint a factory builds, given None for each dependency: a route reads its dependencies only when
    it is called, and describing calls none."""
    return factory(**{name: None for name in inspect.signature(factory).parameters})


def describe(title: str, *factories: Callable[..., Blueprint]) -> dict[str, Any]:
    """The OpenAPI document of a service whose routes are the blueprints `factories` build (the kit's /livez,
    /readyz and /openapi.json are added), mounted on an app of their own."""
    from .health import health_blueprint

    app = Flask(__name__)
    for blueprint in (*map(_routes_only, factories), health_blueprint({}, {})):
        app.register_blueprint(blueprint)
    document: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": {"title": title, "version": API_VERSION},
                                "paths": {}, "components": {"schemas": {}, "securitySchemes": {}}}
    with app.app_context():
        for blueprint in app.blueprints.values():
            doc: ApiDoc | None = getattr(blueprint, _ATTRIBUTE, None)
            if doc is None:
                continue
            part = doc.spec.spec
            for path, operations in part["paths"].items():
                document["paths"].setdefault(path, {}).update(operations)
            document["components"]["schemas"].update(part["components"]["schemas"])
            document["components"]["securitySchemes"].update(part["components"].get("securitySchemes", {}))
    _problem_media_type(document)
    return document
