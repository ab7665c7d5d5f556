"""The same app in each framework, one route per request shape the benchmark measures.

Every app registers 50 dynamic routes first (as a real app has routes before the one a request
hits), then one route per shape:

- ``hello``     ``GET /``                        -> ``Hello, World!``
- ``user``      ``GET /users/42``                -> ``user 42`` (an int converter)
- ``json``      ``GET /json``                    -> a small JSON object (``jsonify`` or equivalent)
- ``args``      ``GET /args?q=..&page=3&tag=..`` -> ``get``, ``get(type=int)`` and ``getlist``
- ``form``      ``POST /form`` (urlencoded)      -> two fields of ``request.form``
- ``template``  ``GET /template``                -> a cached template with a base, a loop, escaping
- ``session``   ``GET /session`` with a cookie   -> read and write the signed cookie session

The erlen and Flask apps set a ``SECRET_KEY``, as a real app does. ``bare`` is a plain WSGI
function per shape (raw Jinja2 for ``template``): the floor under any framework. A framework that
has no such shape (Falcon has no session) has no entry in :data:`SHAPES_OF`.
"""

from __future__ import annotations

import json
import os
import typing as t
from urllib.parse import parse_qs

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
SECRET = "bench-secret"
BODY = "Hello, World!"
JSON_DATA = {"message": BODY, "id": 7, "tags": ["a", "b"], "active": True}
TEMPLATE_CONTEXT: dict[str, t.Any] = {
    "title": "Products <&>",
    "items": [{"name": f"item <{i}>", "price": i * 3} for i in range(10)],
    "user": "ada",
    "footer": "(c) bench",
}
N_DYNAMIC = 50
SHAPES = ["hello", "user", "json", "args", "form", "template", "session"]
FRAMEWORKS = ["erlen", "flask", "bottle", "falcon", "starlette", "bare"]


def _dynamic_paths(style: str) -> list[str]:
    """50 dynamic rule strings in a framework's syntax: ``flask``, ``falcon`` or ``starlette``."""
    conv = {"flask": "<int:{}>", "falcon": "{{{}:int}}", "starlette": "{{{}:int}}"}[style]
    plain = {"flask": "<{}>", "falcon": "{{{}}}", "starlette": "{{{}}}"}[style]
    paths = []
    for i in range(N_DYNAMIC):
        if i % 2:
            paths.append(f"/api/v1/res{i}/" + conv.format("rid"))
        else:
            paths.append(f"/pages{i}/" + plain.format("slug") + "/edit")
    return paths


def _jinja_env() -> t.Any:
    """Raw Jinja2, configured as Flask configures it for ``.html``: the floor for templates."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())


def _flask_like(module: t.Any, cls: t.Any, name: str) -> t.Any:
    """erlen and Flask share one app definition: same API, different import."""
    app = cls(name, template_folder=TEMPLATES)
    app.config["SECRET_KEY"] = SECRET
    request, session = module.request, module.session

    for i, path in enumerate(_dynamic_paths("flask")):
        app.add_url_rule(path, f"dyn{i}", lambda **kw: "dyn")

    @app.route("/")
    def index() -> str:
        return BODY

    @app.route("/users/<int:id>")
    def user(id: int) -> str:
        return f"user {id}"

    @app.route("/json")
    def json_view() -> t.Any:
        return module.jsonify(JSON_DATA)

    @app.route("/args")
    def args_view() -> str:
        a = request.args
        return f"{a.get('q')} {a.get('page', type=int)} {len(a.getlist('tag'))}"

    @app.route("/form", methods=["POST"])
    def form_view() -> str:
        f = request.form
        return f"{f['name']} {f.get('email')}"

    @app.route("/template")
    def template_view() -> str:
        return module.render_template("page.html", **TEMPLATE_CONTEXT)  # type: ignore[no-any-return]

    @app.route("/session")
    def session_view() -> str:
        count = session.get("count", 0) + 1
        session["count"] = count
        return f"count {count}"

    return app


def erlen_app() -> t.Any:
    import erlen

    return _flask_like(erlen, erlen.Erlen, "bench_erlen")


def flask_app() -> t.Any:
    import flask

    return _flask_like(flask, flask.Flask, "bench_flask")


def bottle_app() -> t.Any:
    import bottle

    app = bottle.Bottle()
    request, response = bottle.request, bottle.response
    for path in _dynamic_paths("flask"):
        app.route(path.replace("<int:rid>", "<rid:int>"), callback=lambda **kw: "dyn")
    env = _jinja_env()

    @app.route("/")
    def index() -> str:
        return BODY

    @app.route("/users/<id:int>")
    def user(id: int) -> str:
        return f"user {id}"

    @app.route("/json")
    def json_view() -> t.Any:
        return dict(JSON_DATA)  # Bottle serializes a returned dict as JSON

    @app.route("/args")
    def args_view() -> str:
        q = request.query
        page = q.get("page")
        return f"{q.get('q')} {int(page) if page is not None else None} {len(q.getall('tag'))}"

    @app.route("/form", method="POST")
    def form_view() -> str:
        f = request.forms
        return f"{f.getunicode('name')} {f.getunicode('email')}"

    @app.route("/template")
    def template_view() -> str:
        # NOTE: bottle.jinja2_template reloads the base template on every render; Bottle apps
        # that care keep their own Jinja2 environment, as here.
        return env.get_template("page.html").render(**TEMPLATE_CONTEXT)  # type: ignore[no-any-return]

    @app.route("/session")
    def session_view() -> str:
        # Bottle has no session: its signed cookie is the nearest equivalent.
        raw = request.get_cookie("count", secret=SECRET)
        count = (int(raw) if raw else 0) + 1
        response.set_cookie("count", str(count), secret=SECRET)
        return f"count {count}"

    return app


def falcon_app() -> t.Any:
    import falcon

    env = _jinja_env()

    class Dyn:
        def on_get(self, req: t.Any, resp: t.Any, **kw: t.Any) -> None:
            resp.text = "dyn"

    class Hello:
        def on_get(self, req: t.Any, resp: t.Any) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = BODY

    class User:
        def on_get(self, req: t.Any, resp: t.Any, id: int) -> None:
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = f"user {id}"

    class Json:
        def on_get(self, req: t.Any, resp: t.Any) -> None:
            resp.media = JSON_DATA

    class Args:
        def on_get(self, req: t.Any, resp: t.Any) -> None:
            tags = req.get_param_as_list("tag") or []
            page = req.get_param_as_int("page")
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = f"{req.get_param('q')} {page} {len(tags)}"

    class Form:
        def on_post(self, req: t.Any, resp: t.Any) -> None:
            form = req.get_media()
            resp.content_type = falcon.MEDIA_TEXT
            resp.text = f"{form['name']} {form.get('email')}"

    class Template:
        def on_get(self, req: t.Any, resp: t.Any) -> None:
            resp.content_type = falcon.MEDIA_HTML
            resp.text = env.get_template("page.html").render(**TEMPLATE_CONTEXT)

    app = falcon.App()
    for path in _dynamic_paths("falcon"):
        app.add_route(path, Dyn())
    app.add_route("/", Hello())
    app.add_route("/users/{id:int}", User())
    app.add_route("/json", Json())
    app.add_route("/args", Args())
    app.add_route("/form", Form())
    app.add_route("/template", Template())
    return app


def starlette_app(shape: str = "hello") -> t.Any:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
    from starlette.routing import Route
    from starlette.templating import Jinja2Templates

    templates = Jinja2Templates(directory=TEMPLATES)

    async def dyn(request: t.Any) -> t.Any:
        return PlainTextResponse("dyn")

    async def index(request: t.Any) -> t.Any:
        return PlainTextResponse(BODY)

    async def user(request: t.Any) -> t.Any:
        return PlainTextResponse(f"user {request.path_params['id']}")

    async def json_view(request: t.Any) -> t.Any:
        return JSONResponse(JSON_DATA)

    async def args_view(request: t.Any) -> t.Any:
        q = request.query_params
        page = q.get("page")
        text = f"{q.get('q')} {int(page) if page is not None else None} {len(q.getlist('tag'))}"
        return PlainTextResponse(text)

    async def form_view(request: t.Any) -> t.Any:
        f = await request.form()
        return PlainTextResponse(f"{f['name']} {f.get('email')}")

    async def template_view(request: t.Any) -> t.Any:
        response = templates.TemplateResponse(request, "page.html", TEMPLATE_CONTEXT)
        return HTMLResponse(response.body)

    async def session_view(request: t.Any) -> t.Any:
        count = request.session.get("count", 0) + 1
        request.session["count"] = count
        return PlainTextResponse(f"count {count}")

    routes = [Route(p, dyn) for p in _dynamic_paths("starlette")]
    routes += [
        Route("/", index),
        Route("/users/{id:int}", user),
        Route("/json", json_view),
        Route("/args", args_view),
        Route("/form", form_view, methods=["POST"]),
        Route("/template", template_view),
        Route("/session", session_view),
    ]
    # NOTE: the session middleware runs on every request, so only the session shape gets it.
    middleware = [Middleware(SessionMiddleware, secret_key=SECRET)] if shape == "session" else []
    return Starlette(routes=routes, middleware=middleware)


def bare_app() -> t.Any:
    """Plain WSGI functions: what each shape costs with no framework at all."""
    import re

    env = _jinja_env()
    user_re = re.compile(r"/users/(\d+)\Z")
    text = [("Content-Type", "text/plain; charset=utf-8")]

    def reply(start_response: t.Any, body: str, headers: list[tuple[str, str]] = text) -> t.Any:
        data = body.encode()
        start_response("200 OK", [*headers, ("Content-Length", str(len(data)))])
        return [data]

    def app(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        path = environ["PATH_INFO"]
        if path == "/":
            return reply(start_response, BODY)
        m = user_re.match(path)
        if m is not None:
            return reply(start_response, f"user {int(m.group(1))}")
        if path == "/json":
            body = json.dumps(JSON_DATA, separators=(",", ":"))
            return reply(start_response, body, [("Content-Type", "application/json")])
        if path == "/args":
            q = parse_qs(environ["QUERY_STRING"])
            page = q.get("page")
            text_ = f"{q['q'][0]} {int(page[0]) if page else None} {len(q.get('tag', []))}"
            return reply(start_response, text_)
        if path == "/form":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            f = parse_qs(environ["wsgi.input"].read(size).decode())
            return reply(start_response, f"{f['name'][0]} {f['email'][0]}")
        if path == "/template":
            html = env.get_template("page.html").render(**TEMPLATE_CONTEXT)
            return reply(start_response, html, [("Content-Type", "text/html; charset=utf-8")])
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]

    return app


def bare_asgi_app(shape: str = "hello") -> t.Any:
    """A plain ASGI function for hello and JSON: the floor under any ASGI framework (and the
    cost of the ASGI calling convention itself in the in-process driver)."""
    text = [(b"content-type", b"text/plain; charset=utf-8")]
    hello = BODY.encode()
    data = json.dumps(JSON_DATA, separators=(",", ":")).encode()
    replies = {
        "/": (text, hello),
        "/json": ([(b"content-type", b"application/json")], data),
    }

    async def app(scope: dict[str, t.Any], receive: t.Any, send: t.Any) -> None:
        if scope["type"] != "http":
            return  # NOTE: lifespan: nothing to start
        found = replies.get(scope["path"])
        if found is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        headers, body = found
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*headers, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def erlen_async_app() -> t.Any:
    """The erlen app with ``async def`` views (awaited on the loop under ASGI): the 50 dynamic
    routes, hello and JSON."""
    import erlen

    app = erlen.Erlen("bench_erlen_async")
    app.config["SECRET_KEY"] = SECRET
    for i, path in enumerate(_dynamic_paths("flask")):
        app.add_url_rule(path, f"dyn{i}", lambda **kw: "dyn")

    @app.route("/")
    async def index() -> str:
        return BODY

    @app.route("/json")
    async def json_view() -> t.Any:
        return erlen.jsonify(JSON_DATA)

    return app


def quart_app() -> t.Any:
    """Quart (Flask's API on asyncio, every view ``async def``): the 50 dynamic routes, hello
    and JSON, for the ASGI end-to-end comparison."""
    import quart

    app = quart.Quart("bench_quart")
    app.config["SECRET_KEY"] = SECRET

    async def dyn(**kw: t.Any) -> str:
        return "dyn"

    for i, path in enumerate(_dynamic_paths("flask")):
        app.add_url_rule(path, f"dyn{i}", dyn)

    @app.route("/")
    async def index() -> str:
        return BODY

    @app.route("/json")
    async def json_view() -> t.Any:
        return quart.jsonify(JSON_DATA)

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


def _inline_wait(app: t.Any, seconds: float) -> t.Any:
    """Set how long the loop may wait on the spot for a sync view (erlen's ASGI_INLINE_WAIT).

    NOTE: for callgrind only. Under valgrind a hello view takes ~50x its real time, so a wait
    of a few ms would often time out there; 1 s measures the path a quick view takes with the
    option on.
    """
    app.config["ASGI_INLINE_WAIT"] = seconds
    return app


WSGI_APPS: dict[str, t.Callable[[], t.Any]] = {
    "erlen": erlen_app,
    "flask": flask_app,
    "bottle": bottle_app,
    "falcon": falcon_app,
    "bare": bare_app,
}
ASGI_APPS: dict[str, t.Callable[[str], t.Any]] = {
    "starlette": starlette_app,
    # NOTE: bench/asgi.py: erlen's app driven through its ASGI entry (sync views), and an
    # ``async def`` hello.
    "erlen-asgi": lambda shape: erlen_app(),
    "erlen-asgi-wait": lambda shape: _inline_wait(erlen_app(), 1.0),
    "erlen-asgi-async": lambda shape: erlen_async_app(),
    "quart": lambda shape: quart_app(),
    "bare-asgi": bare_asgi_app,
}
SHAPES_OF: dict[str, list[str]] = {
    "erlen": SHAPES,
    "flask": SHAPES,
    "bottle": SHAPES,
    "falcon": [s for s in SHAPES if s != "session"],
    "starlette": SHAPES,
    "bare": [s for s in SHAPES if s != "session"],
}
