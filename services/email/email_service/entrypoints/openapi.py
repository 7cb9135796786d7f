"""Email's OpenAPI document, generated from the declarations on its routes (faultline_kit.openapi)."""
from __future__ import annotations

from faultline_kit.openapi import describe

from .api import email_blueprint


def email_openapi() -> dict:
    return describe("Faultline email", email_blueprint)
