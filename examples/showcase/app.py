"""The showcase app: the seed's system, made real on embedded defaults.

- ``/`` says ``hello world!!!``; ``/greet?username=...`` reads a query argument;
- ``/login`` checks a username, a password and a verification code drawn as an image
  (``/captcha.png``); the session is server-side (SQLite in the instance folder, Redis when
  ``REDIS_URL`` is set), given a new id at login and destroyed at logout;
- "remember my username" is a cookie of its own, read back into the login form;
- ``/drawing/add_watermark`` and ``/drawing/picture_posite`` draw on uploaded images;
- ``/live`` shows how many users are online, updated over a WebSocket.

Run it with ``python3 -m examples.showcase [--port 5000] [--debug]`` (or
``erlen --app examples.showcase.app run``).
Configuration: ``SHOWCASE_*`` environment variables set config keys (``SHOWCASE_SECRET_KEY``,
``SHOWCASE_SESSION_SQLITE_PATH``...), ``REDIS_URL`` picks the Redis session store.
"""

from __future__ import annotations

import argparse
import hmac
import os
import typing as t

from erlen import (
    Erlen,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from erlen.cli.env import is_running_from_reloader
from erlen.exceptions import HTTPException
from erlen.sessions import Session

from .captcha import captcha_response, check_code
from .drawing import bp as drawing_bp
from .live import bp as live_bp

# The demo's accounts. NOTE: a real app keeps password hashes, never the passwords.
USERS = {"alice": "wonderland", "bob": "builder"}
REMEMBER_COOKIE = "remembered_username"
REMEMBER_SECONDS = 30 * 24 * 3600


def create_app(config: dict[str, t.Any] | None = None) -> Erlen:
    app = Erlen(__name__)
    app.config.update(
        # The session lives on the server; the key signs nothing the user could forge, but
        # a fixed development key must still be replaced in production.
        SECRET_KEY="dev-only-secret-change-me",
        SESSION_TYPE="sqlite",
        SESSION_COOKIE_SAMESITE="Lax",
        # Each visit to the login page stores a session (its code): sweep expired ones.
        SESSION_CLEANUP_N_REQUESTS=1000,
        # SECURITY: uploads are images for the drawing blueprint; 8 MiB is plenty.
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
    )
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=redis_url)
    app.config.from_prefixed_env("SHOWCASE")
    if config:
        app.config.update(config)
    Session(app)
    app.register_blueprint(drawing_bp)
    app.register_blueprint(live_bp)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # The showcase's own error pages (its layout, the message, a way on); the error's
        # response keeps its status and headers (Allow on a 405...).
        response = error.get_response()
        response.set_data(render_template("error.html", error=error))
        return response

    @app.route("/", methods=["get"])
    def hello():
        return "hello world!!!"

    @app.route("/greet")
    def greet():
        # GET parameters: /greet?username=alice
        username = request.args.get("username")
        return f"hello {username}!" if username else "hello stranger!"

    @app.route("/home")
    def home():
        return render_template("home.html", user=session.get("user"))

    @app.route("/captcha.png")
    def captcha():
        return captcha_response()

    @app.route("/login", methods=["GET", "POST"])
    def login():
        remembered = request.cookies.get(REMEMBER_COOKIE, "")
        if request.method == "GET":
            return render_template("login.html", username=remembered, remember=bool(remembered))
        # POST parameters: the login form.
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        remember = request.form.get("remember") == "on"
        code_ok = check_code(request.form.get("code", ""))
        expected = USERS.get(username)
        password_ok = expected is not None and hmac.compare_digest(
            expected.encode(), password.encode()
        )
        if not (code_ok and password_ok):
            flash("Wrong username, password or code.", "error")
            page = render_template("login.html", username=username, remember=remember)
            return page, 401
        # SECURITY: a new session id at login, so an id planted before it is worth nothing.
        session.regenerate()
        session["user"] = username
        flash(f"Welcome, {username}!")
        response = make_response(redirect(url_for("home")))
        if remember:
            response.set_cookie(
                REMEMBER_COOKIE, username, max_age=REMEMBER_SECONDS, httponly=True, samesite="Lax"
            )
        else:
            response.delete_cookie(REMEMBER_COOKIE)
        return response

    @app.route("/logout")
    def logout():
        # The session is deleted in the store and its cookie expired: nothing is flashed
        # (that would start a new session), the page says it from the query string.
        session.destroy()
        return redirect(url_for("home", bye=1))

    @app.route("/cookie/set")
    def set_cookie():
        resp = make_response(redirect(url_for("read_cookie")))
        resp.set_cookie("username", request.args.get("username", "the username"))
        return resp

    @app.route("/cookie")
    def read_cookie():
        username = request.cookies.get("username")
        return render_template("cookie.html", username=username)

    @app.route("/cookie/delete")
    def delete_cookie():
        resp = make_response(redirect(url_for("read_cookie")))
        resp.delete_cookie("username")
        return resp

    return app


_app: Erlen | None = None


def __getattr__(name: str) -> t.Any:
    # NOTE: ``examples.showcase.app:app`` (for uvicorn, gunicorn, ``erlen --app``) is built on
    # first use, so importing create_app (the tests do) opens no session store.
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    """``python3 -m examples.showcase [--host HOST] [--port PORT] [--debug]``: ``app.run()``.

    Host and port default to ``ERLEN_RUN_HOST`` / ``ERLEN_RUN_PORT`` (the variables ``erlen
    run`` reads), else 127.0.0.1 and 5000.
    """
    parser = argparse.ArgumentParser(
        prog="python3 -m examples.showcase",
        description="Run the erlen showcase on the development server (app.run()).",
    )
    parser.add_argument("--host", default=os.environ.get("ERLEN_RUN_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ERLEN_RUN_PORT", 5000)))
    parser.add_argument(
        "--debug",
        action=argparse.BooleanOptionalAction,
        help="debug page for errors and a reloader (default: app.run() reads ERLEN_DEBUG)",
    )
    args = parser.parse_args(argv)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    if args.host in ("0.0.0.0", "::"):
        shown = "127.0.0.1" if args.host == "0.0.0.0" else "[::1]"
    if not is_running_from_reloader():  # with --debug: once, not again in each restart
        print(f"erlen showcase: open http://{shown}:{args.port}/home", flush=True)
    create_app().run(host=args.host, port=args.port, debug=args.debug)


if __name__ == "__main__":
    main()
