"""The baseline for `make bench`: a bare Flask app with one route, GET /livez, and nothing else.

Served by gunicorn with the kit's own settings (faultline_kit.gunicorn_conf: 1 worker, gthread, 16 threads), so the
only difference from a Faultline instance is everything a service does beyond answering.
"""
from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask("bare")

    @app.get("/livez")
    def livez():
        return jsonify(status="ok")

    return app
