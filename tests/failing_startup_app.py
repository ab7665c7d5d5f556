"""An app whose startup fails (its database is missing): an ASGI server must refuse to serve it."""

from __future__ import annotations

from erlen import Erlen

app = Erlen(__name__)


@app.before_serving
def connect_database() -> None:
    raise RuntimeError("no database at startup")


@app.route("/")
def index() -> str:
    return "must never be served"
