"""A Flask app with the kit's background runtime and nothing else: what gunicorn's drain hooks need to run, for
tests of the kit's gunicorn settings on a real gunicorn (`support.drain_app:create_app()`)."""
from flask import Flask, jsonify

from faultline_kit.runtime import EXTENSION_KEY, BackgroundRuntime


def create_app() -> Flask:
    app = Flask("drain")
    app.extensions[EXTENSION_KEY] = BackgroundRuntime([])

    @app.get("/livez")
    def livez():
        return jsonify(status="ok")

    return app
