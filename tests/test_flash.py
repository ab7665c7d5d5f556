"""Message flashing: ``flash``, ``get_flashed_messages`` and the ``message_flashed`` signal."""

from __future__ import annotations

import flask
import pytest
from markupsafe import Markup

import erlen
from erlen import (
    flash,
    get_flashed_messages,
    message_flashed,
    redirect,
    render_template_string,
    request,
    session,
    url_for,
)

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")


@pytest.fixture
def fapp(app: erlen.Erlen) -> erlen.Erlen:
    @app.route("/flash", methods=["GET", "POST"])
    def do_flash():
        for item in request.args.getlist("m"):
            category, _, message = item.partition(":")
            flash(message, category)
        return redirect(url_for("show"))

    @app.route("/show")
    def show():
        return {
            "messages": get_flashed_messages(),
            "again": get_flashed_messages(),
            "with_categories": [list(m) for m in get_flashed_messages(with_categories=True)],
            "errors": get_flashed_messages(category_filter=["error"]),
            "errors_and_warnings": [
                list(m)
                for m in get_flashed_messages(
                    with_categories=True, category_filter=("error", "warning")
                )
            ],
        }

    return app


def test_flash_survives_one_redirect(fapp: erlen.Erlen) -> None:
    client = fapp.test_client()
    rv = client.post("/flash?m=message:hello&m=error:bad&m=warning:careful&m=error:worse")
    assert rv.status_code == 302
    rv = client.get(rv.headers["Location"])
    assert rv.json == {
        "messages": ["hello", "bad", "careful", "worse"],
        "again": ["hello", "bad", "careful", "worse"],
        "with_categories": [
            ["message", "hello"],
            ["error", "bad"],
            ["warning", "careful"],
            ["error", "worse"],
        ],
        "errors": ["bad", "worse"],
        "errors_and_warnings": [["error", "bad"], ["warning", "careful"], ["error", "worse"]],
    }
    # Read once, gone for the next request.
    assert client.get("/show").json["messages"] == []


def test_flash_with_follow_redirects(fapp: erlen.Erlen) -> None:
    client = fapp.test_client()
    rv = client.get("/flash?m=info:saved", follow_redirects=True)
    assert rv.json["with_categories"] == [["info", "saved"]]
    assert client.get("/show").json["messages"] == []


def test_default_category_is_message(app: erlen.Erlen) -> None:
    with app.test_request_context():
        flash("hi")
        assert session["_flashes"] == [("message", "hi")]


def test_with_categories_returns_tuples(app: erlen.Erlen) -> None:
    @app.route("/a")
    def a() -> str:
        flash("one", "info")
        return "ok"

    @app.route("/b")
    def b() -> str:
        messages = get_flashed_messages(with_categories=True)
        assert messages == [("info", "one")]
        assert all(type(m) is tuple for m in messages)
        return "ok"

    client = app.test_client()
    client.get("/a")
    assert client.get("/b").status_code == 200


def test_messages_accumulate_until_read(fapp: erlen.Erlen) -> None:
    client = fapp.test_client()
    client.get("/flash?m=message:one")
    client.get("/flash?m=message:two")
    assert client.get("/show").json["messages"] == ["one", "two"]
    assert client.get("/show").json["messages"] == []


def test_repeated_calls_in_one_request_agree(app: erlen.Erlen) -> None:
    with app.test_request_context():
        flash("a", "x")
        flash("b", "y")
        assert get_flashed_messages() == ["a", "b"]
        assert get_flashed_messages() == ["a", "b"]
        assert get_flashed_messages(category_filter=["y"]) == ["b"]
        assert get_flashed_messages(with_categories=True) == [("x", "a"), ("y", "b")]
        assert "_flashes" not in session


def test_reading_flashes_removes_them_from_session_cookie(app: erlen.Erlen) -> None:
    @app.route("/set")
    def set_() -> str:
        flash("only")
        return "ok"

    @app.route("/read")
    def read() -> str:
        return ",".join(get_flashed_messages())

    client = app.test_client()
    client.get("/set")
    with client.session_transaction() as sess:
        assert sess["_flashes"] == [("message", "only")]
    rv = client.get("/read")
    assert rv.text == "only"
    # The session only held the flashes, so reading them empties it and deletes the cookie.
    assert rv.headers["Set-Cookie"].startswith("session=; Expires=Thu, 01 Jan 1970")
    assert client.get_cookie("session") is None


def test_no_flashes_is_empty_list_and_sets_no_cookie(app: erlen.Erlen) -> None:
    @app.route("/")
    def index() -> str:
        assert get_flashed_messages() == []
        assert get_flashed_messages(with_categories=True) == []
        return "ok"

    rv = app.test_client().get("/")
    assert rv.status_code == 200
    assert "Set-Cookie" not in rv.headers


def test_flash_keeps_other_session_values(app: erlen.Erlen) -> None:
    @app.route("/set")
    def set_() -> str:
        session["user"] = "ann"
        flash("welcome")
        return "ok"

    @app.route("/read")
    def read() -> dict:
        return {"messages": get_flashed_messages(), "user": session["user"]}

    client = app.test_client()
    client.get("/set")
    assert client.get("/read").json == {"messages": ["welcome"], "user": "ann"}
    assert client.get("/read").json == {"messages": [], "user": "ann"}


def test_flash_markup_round_trip(app: erlen.Erlen) -> None:
    @app.route("/set")
    def set_() -> str:
        flash(Markup("<b>bold</b>"))
        flash("<i>plain</i>")
        return "ok"

    @app.route("/read")
    def read() -> str:
        return render_template_string("{% for m in get_flashed_messages() %}[{{ m }}]{% endfor %}")

    client = app.test_client()
    client.get("/set")
    assert client.get("/read").text == "[<b>bold</b>][&lt;i&gt;plain&lt;/i&gt;]"


def test_template_with_categories(app: erlen.Erlen) -> None:
    with app.test_request_context():
        flash("Saved", "success")
        flash("Oops", "error")
        rv = render_template_string(
            "{% for c, m in get_flashed_messages(with_categories=true,"
            " category_filter=['error']) %}{{ c }}:{{ m }}{% endfor %}"
        )
        assert rv == "error:Oops"


def test_message_flashed_signal(app: erlen.Erlen) -> None:
    recorded: list[tuple[object, str, str]] = []
    other: list[object] = []

    def receiver(sender, message, category, **extra):
        recorded.append((sender, message, category))

    def any_sender(sender, **extra):
        other.append(sender)

    @app.route("/")
    def index() -> str:
        flash("hello")
        flash("bad", "error")
        return "ok"

    with message_flashed.connected_to(receiver, app), message_flashed.connected_to(any_sender):
        app.test_client().get("/")
    assert recorded == [(app, "hello", "message"), (app, "bad", "error")]
    assert other == [app, app]

    # Disconnected afterwards.
    app.test_client().get("/")
    assert len(recorded) == 2


def test_message_flashed_signal_is_flask_name() -> None:
    assert erlen.signals.message_flashed.name == flask.signals.message_flashed.name


def test_flash_without_secret_key_raises(app: erlen.Erlen) -> None:
    app.config["SECRET_KEY"] = None
    with app.test_request_context():
        with pytest.raises(RuntimeError, match="secret key"):
            flash("nope")
        assert get_flashed_messages() == []


def test_flash_outside_request_raises(app: erlen.Erlen) -> None:
    with app.app_context():
        with pytest.raises(RuntimeError, match="request context"):
            flash("nope")


def test_flashes_read_by_flask(app: erlen.Erlen) -> None:
    """Flashes set by erlen are read by Flask with the same key (a rolling deploy keeps them)."""
    fl = flask.Flask("flask_flash")
    fl.config["SECRET_KEY"] = "test key"

    @fl.route("/read")
    def read() -> list:
        return [list(m) for m in flask.get_flashed_messages(with_categories=True)]

    @app.route("/set")
    def set_() -> str:
        flash("from erlen", "info")
        return "ok"

    rv = app.test_client().get("/set")
    cookie = rv.headers["Set-Cookie"].split(";", 1)[0]
    fc = fl.test_client()
    fc.set_cookie("session", cookie.split("=", 1)[1])
    rv = fc.get("/read")
    assert rv.json == [["info", "from erlen"]]
