"""Email's OpenAPI document."""
from __future__ import annotations

from faultline_kit import openapi as oa


def email_openapi() -> dict:
    return oa.document("Faultline email", {
        "/emails": {"get": oa.operation(
            "Mails sent, all (paged) or for one order", {"200": {"description": "OK"},
                                                         "400": oa.problem("bad paging")},
            parameters=[oa.query_param("order_id"), oa.query_param("offset", {"type": "integer", "minimum": 0}),
                        oa.query_param("limit", {"type": "integer", "minimum": 1, "maximum": 1000})])},
    })
