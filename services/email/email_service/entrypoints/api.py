"""HTTP: what email sent."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, request

from faultline_kit.problems import int_query_arg

from ..adapters.sent_store import SentStore



def email_blueprint(sent: SentStore) -> Blueprint:
    api = Blueprint("email", __name__)

    @api.get("/emails")
    def list_emails():
        order_id = request.args.get("order_id")
        if order_id is not None:
            mails = sent.for_order(order_id)
            return jsonify(emails=[asdict(m) for m in mails], total=len(mails), next_offset=None)
        offset = int_query_arg(request, "offset", 0, 0, 10**9)
        limit = int_query_arg(request, "limit", 100, 1, 1000)
        mails, total = sent.page(offset, limit)
        next_offset = offset + len(mails) if offset + len(mails) < total else None
        return jsonify(emails=[asdict(m) for m in mails], total=total, next_offset=next_offset)

    return api
