"""Flask-Limiter on erlen: the limit's 429 (RateLimitExceeded subclasses Werkzeug's
TooManyRequests) with the default page and with a custom @app.errorhandler(429); exempt views."""

from __future__ import annotations

from _common import run
from flask import Flask, jsonify
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def create_app(custom_handler: bool) -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    @app.route("/ping")
    @limiter.limit("2 per minute")
    def ping():  # type: ignore[no-untyped-def]
        return "pong"

    @app.route("/free")
    @limiter.exempt
    def free():  # type: ignore[no-untyped-def]
        return "free"

    if custom_handler:

        @app.errorhandler(429)
        def too_many(e):  # type: ignore[no-untyped-def]
            return jsonify(error="slow down", limit=str(e.description)), 429

    return app


def default_429() -> None:
    client = create_app(custom_handler=False).test_client()
    assert [client.get("/ping").status_code for _ in range(2)] == [200, 200]
    resp = client.get("/ping")
    assert resp.status_code == 429
    assert "<title>429 Too Many Requests</title>" in resp.text
    assert "2 per 1 minute" in resp.text
    assert all(client.get("/free").status_code == 200 for _ in range(5))


def custom_429_handler() -> None:
    client = create_app(custom_handler=True).test_client()
    client.get("/ping")
    client.get("/ping")
    resp = client.get("/ping")
    assert resp.status_code == 429
    assert resp.get_json() == {"error": "slow down", "limit": "2 per 1 minute"}


if __name__ == "__main__":
    run(default_429, custom_429_handler)
