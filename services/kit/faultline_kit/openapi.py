"""A small OpenAPI 3.1 document builder; request schemas come from the pydantic models the API validates with."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}

HEALTH_PATHS: dict[str, Any] = {
    "/livez": {"get": {"summary": "Liveness", "responses": {"200": {"description": "process serves"}}}},
    "/readyz": {"get": {"summary": "Readiness (Redis and Kafka reachable)",
                        "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI"}}}},
}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}


def problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def operation(summary: str, responses: dict[str, Any], body: type[BaseModel] | None = None,
              parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = json_body(body)
    if parameters:
        op["parameters"] = parameters
    return op


def path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def query_param(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema or {"type": "string"}}


def header_param(name: str, required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "schema": {"type": "string", "maxLength": 128}}


def document(title: str, paths: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0"},
        "paths": {**paths, **HEALTH_PATHS},
        "components": {"schemas": {"Problem": PROBLEM_SCHEMA},
                       "securitySchemes": {"admin": {"type": "http", "scheme": "bearer"}}},
    }
