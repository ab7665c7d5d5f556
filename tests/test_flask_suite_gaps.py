"""Gaps that Flask 3.1.3's own test suite (``scripts/flask-suite``) found, each pinned here."""

from __future__ import annotations

import pytest

from erlen import Erlen, Response, render_template_string, request, session, stream_with_context
from erlen import url_for as url_for_helper
from erlen.routing import RequestRedirect


def test_debug_config_is_false_not_none_without_the_environment(monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("ERLEN_DEBUG", raising=False)
    app = Erlen(__name__)
    assert app.config["DEBUG"] is False
    with app.app_context():
        assert render_template_string("{{ config.DEBUG }}") == "False"
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert Erlen(__name__).config["DEBUG"] is True


def test_url_for_takes_a_value_named_self():
    app = Erlen(__name__)

    @app.route("/<self>")
    def index(self):
        return self

    with app.test_request_context():
        assert url_for_helper("index", self="2") == "/2"
        assert app.url_for("index", self="3") == "/3"


def test_form_posted_to_a_301_routing_redirect_is_explained_in_debug_mode(monkeypatch):
    app = Erlen(__name__)
    app.config["DEBUG"] = True

    @app.route("/user/", methods=["GET", "POST"])
    def user():
        return request.form["status"]

    client = app.test_client()
    # 308, the default, keeps the body.
    assert client.post("/user", data={"status": "ok"}, follow_redirects=True).text == "ok"
    monkeypatch.setattr(RequestRedirect, "code", 301)
    with pytest.raises(AssertionError) as info:
        client.post("/user", data={"status": "lost"})
    assert "canonical URL 'http://localhost/user/'" in str(info.value)
    assert "trailing slash" in str(info.value)
    # A GET may be redirected with 301; outside debug mode the redirect is simply sent.
    assert client.get("/user").status_code == 301
    app.config["DEBUG"] = False
    assert client.post("/user", data={"status": "x"}).status_code == 301


def test_stream_with_context_in_an_async_view():
    app = Erlen(__name__)
    app.secret_key = "dev"

    @app.route("/")
    async def index():
        session["test"] = "streamed"

        @stream_with_context
        def gen():
            yield session["test"]

        return Response(gen())

    client = app.test_client()
    client.get("/").close()  # closed before the body is read
    assert client.get("/").text == "streamed"
    with client:
        assert client.get("/").text == "streamed"
