"""HTTP: what email sent."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, request

from faultline_kit.problems import PageRequest

from ..adapters.sent_store import SentStore



def email_blueprint(sent: SentStore) -> Blueprint:
    api = Blueprint("email", __name__)

    @api.get("/emails")
    def list_emails():
        order_id = request.args.get("order_id")
        if order_id is not None:
            mails = sent.for_order(order_id)
            return jsonify(emails=[asdict(m) for m in mails], total=len(mails), next_offset=None)
        page = PageRequest.of(request)
        mails, total = sent.page(page.offset, page.limit)
        return jsonify(page.body("emails", [asdict(m) for m in mails], total))

    return api
