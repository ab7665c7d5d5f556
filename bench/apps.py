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


WSGI_APPS = {"erlen": erlen_app, "flask": flask_app, "bottle": bottle_app, "falcon": falcon_app}
ASGI_APPS = {"starlette": starlette_app}
