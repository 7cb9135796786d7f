"""HTTP: what email sent."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, request
from pydantic import Field

from faultline_kit.openapi import ApiDoc
from faultline_kit.problems import PageQuery, PageRequest

from ..adapters.sent_store import SentStore


class EmailQuery(PageQuery):
    order_id: str | None = Field(default=None, description="only this order's mails (then not paged)")


def email_blueprint(sent: SentStore) -> Blueprint:
    api = Blueprint("email", __name__)
    doc = ApiDoc(api)

    @api.get("/emails")
    @doc.route(ok={200: "OK"}, problems={400: "bad paging"}, query=EmailQuery)
    def list_emails():
        """Mails sent, all (paged) or for one order"""
        order_id = request.args.get("order_id")
        if order_id is not None:
            mails = sent.for_order(order_id)
            return jsonify(emails=[asdict(m) for m in mails], total=len(mails), next_offset=None)
        page = PageRequest.of(request)
        mails, total = sent.page(page.offset, page.limit)
        return jsonify(page.body("emails", [asdict(m) for m in mails], total))

    return api
