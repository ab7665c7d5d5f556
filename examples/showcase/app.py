"""The showcase app: the seed's examples, running on erlen with only the imports changed.

Run it with ``python -m examples.showcase.app`` (or ``erlen --app examples.showcase.app run``).
"""

from __future__ import annotations

import os

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

from .drawing import bp as drawing_bp

# The demo's login: a username, a password and a one-time code.
USERS = {"alice": {"password": "wonderland", "code": "1234"}}


def create_app(config: dict | None = None) -> Erlen:
    app = Erlen(__name__)
    app.config["SECRET_KEY"] = os.environ.get("ERLEN_SECRET_KEY", "dev-only-secret-change-me")
    if config:
        app.config.update(config)
    app.register_blueprint(drawing_bp)

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

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return render_template("login.html")
        # POST parameters: the login form.
        username = request.form.get("username", "")
        password = request.form.get("password", "")
        code = request.form.get("code", "")
        account = USERS.get(username)
        if account is None or account["password"] != password or account["code"] != code:
            flash("Wrong username, password or code.", "error")
            return render_template("login.html", username=username), 401
        session.clear()
        session["user"] = username
        flash(f"Welcome, {username}!")
        return redirect(url_for("home"))

    @app.route("/logout")
    def logout():
        session.pop("user", None)
        flash("You are logged out.")
        return redirect(url_for("home"))

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


app = create_app()


def main() -> None:
    host = os.environ.get("ERLEN_HOST", "127.0.0.1")
    port = int(os.environ.get("ERLEN_PORT", "5000"))
    print(f"erlen showcase: open http://{host}:{port}/home", flush=True)
    app.run(host=host, port=port)


if __name__ == "__main__":
    main()
