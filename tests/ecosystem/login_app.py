"""Flask-Login on erlen: login_required redirects, login/logout, remember-me cookie restores."""

from __future__ import annotations

from _common import run
from flask import Flask, request
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


USERS = {"ada": "secret"}


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="login-key", TESTING=True)
    manager = LoginManager(app)
    manager.login_view = "login"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        return User(user_id) if user_id in USERS else None

    @app.route("/login", methods=["GET", "POST"])
    def login():  # type: ignore[no-untyped-def]
        if request.method == "POST":
            name = request.form["name"]
            if USERS.get(name) == request.form["password"]:
                login_user(User(name), remember=bool(request.form.get("remember")))
                return "welcome"
            return "bad credentials", 401
        return "login form"

    @app.route("/private")
    @login_required
    def private():  # type: ignore[no-untyped-def]
        return f"hello {current_user.id}"

    @app.route("/logout")
    def logout():  # type: ignore[no-untyped-def]
        logout_user()
        return "bye"

    return app


def login_required_redirects() -> None:
    client = create_app().test_client()
    resp = client.get("/private")
    assert resp.status_code == 302, resp.status
    assert resp.headers["Location"].startswith("/login?next="), resp.headers["Location"]
    assert client.post("/login", data={"name": "ada", "password": "nope"}).status_code == 401
    assert client.post("/login", data={"name": "ada", "password": "secret"}).text == "welcome"
    assert client.get("/private").text == "hello ada"
    client.get("/logout")
    assert client.get("/private").status_code == 302


def remember_me_survives_a_lost_session() -> None:
    app = create_app()
    client = app.test_client()
    resp = client.post("/login", data={"name": "ada", "password": "secret", "remember": "1"})
    assert "remember_token=" in ";".join(resp.headers.getlist("Set-Cookie"))
    remember = client.get_cookie("remember_token")
    assert remember is not None
    # NOTE: a new browser session: only the remember cookie is left.
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/private").text == "hello ada"
    # Without it, the same fresh client is a stranger.
    assert app.test_client().get("/private").status_code == 302


if __name__ == "__main__":
    run(login_required_redirects, remember_me_survives_a_lost_session)
