"""The same hello-world app in each framework, as the benchmark drives them.

Each app answers ``GET /`` with ``Hello, World!``. The erlen and Flask apps set a SECRET_KEY, as
a real app does, so the session machinery is in place (and must cost nothing when unused).
"""

from __future__ import annotations

import typing as t

BODY = "Hello, World!"


def erlen_app() -> t.Any:
    import erlen

    app = erlen.Erlen("bench_erlen")
    app.config["SECRET_KEY"] = "bench-secret"

    @app.route("/")
    def index() -> str:
        return BODY

    return app


def flask_app() -> t.Any:
    import flask

    app = flask.Flask("bench_flask")
    app.config["SECRET_KEY"] = "bench-secret"

    @app.route("/")
    def index() -> str:
        return BODY

    return app


def bottle_app() -> t.Any:
    import bottle

    app = bottle.Bottle()

    @app.route("/")
    def index() -> str:
        return BODY

    return app


def falcon_app() -> t.Any:
    import falcon

    class Hello:
        def on_get(self, req: t.Any, resp: t.Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = BODY

    app = falcon.App()
    app.add_route("/", Hello())
    return app


def starlette_app() -> t.Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def index(request: t.Any) -> t.Any:
        return PlainTextResponse(BODY)

    return Starlette(routes=[Route("/", index)])


def erlen_async_app() -> t.Any:
    """The erlen hello app with an ``async def`` view (awaited on the loop under ASGI)."""
    import erlen

    app = erlen.Erlen("bench_erlen_async")
    app.config["SECRET_KEY"] = "bench-secret"

    @app.route("/")
    async def index() -> str:
        return BODY

    return app


def erlen_sleep_app() -> t.Any:
    """``GET /`` awaits ``asyncio.sleep(0.05)``: the concurrency benchmark of bench/asgi.py."""
    import asyncio

    import erlen

    app = erlen.Erlen("bench_erlen_sleep")

    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0.05)
        return BODY

    return app


WSGI_APPS = {"erlen": erlen_app, "flask": flask_app, "bottle": bottle_app, "falcon": falcon_app}
#: ``erlen-asgi`` is the same sync-view app as ``erlen``, driven through its ASGI entry.
ASGI_APPS = {
    "starlette": starlette_app,
    "erlen-asgi": erlen_app,
    "erlen-asgi-async": erlen_async_app,
}
