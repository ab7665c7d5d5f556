"""The showcase app (README command 1): the seed's examples through the test client."""

from __future__ import annotations

import pytest
from examples.showcase.app import create_app


@pytest.fixture
def showcase():
    app = create_app({"TESTING": True})
    return app.test_client()


def test_hello_and_blueprint(showcase):
    assert showcase.get("/").text == "hello world!!!"
    assert "watermark" in showcase.get("/drawing/add_watermark").text
    assert "composed" in showcase.get("/drawing/picture_posite").text


def test_args(showcase):
    assert showcase.get("/greet?username=alice").text == "hello alice!"
    assert showcase.get("/greet").text == "hello stranger!"


def test_login_logout_flow(showcase):
    page = showcase.get("/home").text
    assert "Hello, stranger." in page
    rv = showcase.post(
        "/login", data={"username": "alice", "password": "wonderland", "code": "1234"}
    )
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/home"
    page = showcase.get("/home").text
    assert "Hello, alice!" in page
    assert "Welcome, alice!" in page  # the flashed message, shown once
    assert "Welcome, alice!" not in showcase.get("/home").text
    with showcase.session_transaction() as session:
        assert session["user"] == "alice"
    showcase.get("/logout")
    page = showcase.get("/home").text
    assert "Hello, stranger." in page
    with showcase.session_transaction() as session:
        assert "user" not in session


def test_wrong_code_is_refused(showcase):
    rv = showcase.post("/login", data={"username": "alice", "password": "wonderland", "code": "0"})
    assert rv.status_code == 401
    assert "Wrong username, password or code." in rv.text
    assert "Hello, stranger." in showcase.get("/home").text


def test_cookie_set_read_delete(showcase):
    assert "No username cookie." in showcase.get("/cookie").text
    rv = showcase.get("/cookie/set?username=bob", follow_redirects=True)
    assert "The username cookie says: bob" in rv.text
    assert showcase.get_cookie("username").value == "bob"
    rv = showcase.get("/cookie/delete", follow_redirects=True)
    assert "No username cookie." in rv.text
    assert showcase.get_cookie("username") is None


def test_static_file(showcase):
    rv = showcase.get("/static/style.css")
    assert rv.status_code == 200
    assert rv.mimetype == "text/css"
    rv.close()
