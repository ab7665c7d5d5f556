"""Flask-CORS on erlen: CORS(app) answers preflights and adds headers; @cross_origin on one view.

Under compat Flask-CORS sees erlen's Headers as Werkzeug's; the core also accepts the MultiDict it
assigns to response.headers otherwise (tests/test_werkzeug_interop.py)."""

from __future__ import annotations

from _common import run
from flask import Flask
from flask_cors import CORS, cross_origin


def app_wide() -> None:
    app = Flask(__name__)
    CORS(app, resources={r"/api/*": {"origins": "https://good.example"}}, max_age=600)

    @app.route("/api/items", methods=["GET", "PUT"])
    def items():  # type: ignore[no-untyped-def]
        return {"items": [1, 2]}

    @app.route("/private")
    def private():  # type: ignore[no-untyped-def]
        return "no cors here"

    client = app.test_client()
    pre = client.options(
        "/api/items",
        headers={
            "Origin": "https://good.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "X-Token",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "https://good.example"
    assert "PUT" in pre.headers["Access-Control-Allow-Methods"]
    assert pre.headers["Access-Control-Allow-Headers"].lower() == "x-token"
    assert pre.headers["Access-Control-Max-Age"] == "600"
    got = client.get("/api/items", headers={"Origin": "https://good.example"})
    assert got.get_json() == {"items": [1, 2]}
    assert got.headers["Access-Control-Allow-Origin"] == "https://good.example"
    other = client.get("/api/items", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/private", headers={"Origin": "https://good.example"}).headers
    )


def per_view_decorator() -> None:
    app = Flask(__name__)

    @app.route("/open", methods=["GET", "POST"])
    @cross_origin(supports_credentials=True, origins=["https://a.example"])
    def open_view():  # type: ignore[no-untyped-def]
        return "open"

    client = app.test_client()
    resp = client.get("/open", headers={"Origin": "https://a.example"})
    assert resp.text == "open"
    assert resp.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert resp.headers["Access-Control-Allow-Credentials"] == "true"
    pre = client.options(
        "/open", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"}
    )
    assert pre.status_code == 200
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]


if __name__ == "__main__":
    run(app_wide, per_view_decorator)
