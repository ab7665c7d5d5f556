"""Werkzeug's HTTP exceptions and data structures, met in the core without erlen.compat (design §8).

Real Werkzeug is the oracle: extensions raise its classes, replace ``response.headers`` with its
``MultiDict``, and erlen must answer as Flask does. Also the smaller Flask differences of issue 7:
``None`` in a test query string, a hook added during an endpoint's first request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import flask
import pytest
import werkzeug.datastructures as wd
import werkzeug.exceptions as wx
from werkzeug.wrappers import Response as WerkzeugResponse

import erlen
from erlen import Blueprint, abort
from erlen import exceptions as ex


class CSRFError(wx.BadRequest):
    """Flask-WTF's shape: a subclass of Werkzeug's BadRequest."""

    description = "The CSRF token is missing."


class RateLimitExceeded(wx.TooManyRequests):
    """Flask-Limiter's shape."""


def both_apps():
    """An erlen app and a Flask app configured alike, for side-by-side answers."""
    return [
        erlen.Erlen("interop_erlen"),
        flask.Flask("interop_flask"),
    ]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 418, 429, 500, 503])
def test_werkzeug_abort_answers_like_flask(status):
    answers = []
    for app in both_apps():

        @app.route("/")
        def view():
            wx.abort(status)

        resp = app.test_client().get("/")
        answers.append((resp.status_code, resp.get_data(as_text=True), resp.mimetype))
    assert answers[0] == answers[1]
    assert answers[0][0] == status


def test_handler_by_code_catches_werkzeug_exception(app, client):
    @app.errorhandler(403)
    def forbidden(e):
        return f"no: {type(e).__module__}.{type(e).__name__}", 403

    @app.route("/")
    def view():
        raise wx.Forbidden()

    resp = client.get("/")
    assert resp.status_code == 403
    assert resp.text == "no: werkzeug.exceptions.Forbidden"


def test_handler_for_werkzeug_class_catches_erlen_class(app, client):
    @app.errorhandler(wx.NotFound)
    def not_found(e):
        return f"missing {type(e).__module__}", 404

    @app.route("/")
    def view():
        abort(404)

    expected = f"missing {ex.NotFound.__module__}"
    assert expected.startswith("missing erlen.")
    assert client.get("/").text == expected
    assert client.get("/nowhere").text == expected


def test_handler_for_erlen_class_catches_werkzeug_subclass(app, client):
    @app.errorhandler(ex.BadRequest)
    def bad(e):
        return f"bad: {e.description}", 400

    @app.route("/")
    def view():
        raise CSRFError()

    resp = client.get("/")
    assert resp.status_code == 400
    assert resp.text == "bad: The CSRF token is missing."


def test_handler_by_code_catches_werkzeug_subclass(app, client):
    @app.errorhandler(429)
    def limited(e):
        return f"slow down ({type(e).__name__})", 429

    @app.route("/")
    def view():
        raise RateLimitExceeded()

    resp = client.get("/")
    assert resp.status_code == 429
    assert resp.text == "slow down (RateLimitExceeded)"


def test_handler_for_werkzeug_base_catches_everything_http(app, client):
    @app.errorhandler(wx.HTTPException)
    def any_http(e):
        return f"http {e.code}", e.code

    @app.route("/erlen")
    def from_erlen():
        abort(409)

    @app.route("/werkzeug")
    def from_werkzeug():
        wx.abort(410)

    assert client.get("/erlen").text == "http 409"
    assert client.get("/werkzeug").text == "http 410"
    assert client.get("/nowhere").text == "http 404"


def test_erlen_base_handler_catches_werkzeug_error(app, client):
    @app.errorhandler(ex.HTTPException)
    def any_http(e):
        return f"http {e.code}", e.code

    @app.route("/")
    def view():
        wx.abort(451)

    resp = client.get("/")
    assert (resp.status_code, resp.text) == (451, "http 451")


def test_blueprint_handler_catches_werkzeug_exception(app, client):
    bp = Blueprint("bp", __name__)

    @bp.errorhandler(ex.Forbidden)
    def bp_forbidden(e):
        return "bp forbids", 403

    @bp.route("/x")
    def bp_view():
        wx.abort(403)

    app.register_blueprint(bp, url_prefix="/bp")
    assert client.get("/bp/x").text == "bp forbids"


def test_werkzeug_exception_with_its_own_response(app, client):
    @app.route("/")
    def view():
        raise wx.HTTPException(response=WerkzeugResponse("teapot body", 418, {"X-Own": "yes"}))

    resp = client.get("/")
    assert resp.status_code == 418
    assert resp.text == "teapot body"
    assert resp.headers["X-Own"] == "yes"


def test_werkzeug_exception_headers_reach_the_client(app, client):
    @app.route("/")
    def view():
        raise wx.MethodNotAllowed(valid_methods=["GET", "POST"])

    resp = client.get("/")
    assert resp.status_code == 405
    assert resp.headers["Allow"] == "GET, POST"


def test_unhandled_non_http_error_still_500(app):
    app.config["TESTING"] = False

    @app.route("/")
    def view():
        raise KeyError("x")

    assert app.test_client().get("/").status_code == 500


def test_trap_bad_request_errors_traps_werkzeug_bad_request(app, client):
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True

    @app.route("/")
    def view():
        raise CSRFError()

    with pytest.raises(CSRFError):
        client.get("/")


def test_trap_http_exceptions_traps_werkzeug_errors(app, client):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True

    @app.route("/")
    def view():
        wx.abort(404)

    with pytest.raises(wx.NotFound):
        client.get("/")


def test_werkzeug_key_error_in_debug_is_trapped_like_flask(app, client):
    app.debug = True

    @app.route("/")
    def view():
        raise wx.BadRequestKeyError("name")

    with pytest.raises(wx.BadRequestKeyError):
        client.get("/")


def test_werkzeug_error_in_before_request(app, client):
    @app.before_request
    def guard():
        wx.abort(401)

    @app.route("/")
    def view():
        return "unreachable"

    assert client.get("/").status_code == 401


def test_no_werkzeug_means_no_import():
    """A process without Werkzeug loaded handles its errors without importing it."""
    code = textwrap.dedent(
        """
        import sys
        import erlen
        app = erlen.Erlen("x")
        @app.errorhandler(404)
        def nf(e):
            return "nf", 404
        @app.route("/")
        def v():
            erlen.abort(403)
        c = app.test_client()
        assert c.get("/").status_code == 403
        assert c.get("/none").text == "nf"
        assert "werkzeug" not in sys.modules, sorted(m for m in sys.modules if "werkzeug" in m)
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=120
    )
    assert out.stdout.strip() == "ok", out.stderr


# -- response.headers replaced ---------------------------------------------------------------


@pytest.mark.parametrize(
    "replacement",
    [
        wd.MultiDict([("X-A", "1"), ("X-A", "2"), ("X-B", "3")]),
        wd.Headers([("X-A", "1"), ("X-A", "2"), ("X-B", "3")]),
        [("X-A", "1"), ("X-A", "2"), ("X-B", "3")],
        {"X-A": ["1", "2"], "X-B": "3"},
    ],
    ids=["werkzeug-multidict", "werkzeug-headers", "pairs", "dict"],
)
def test_replaced_headers_are_emitted(app, client, replacement):
    @app.route("/")
    def view():
        return "body"

    @app.after_request
    def replace(resp):
        resp.headers = replacement
        resp.headers.add("X-C", "4")  # what Flask-CORS does next
        resp.vary.add("Cookie")  # a typed property still works on the replacement
        return resp

    resp = client.get("/")
    assert resp.status_code == 200
    assert resp.text == "body"
    assert resp.headers.getlist("X-A") == ["1", "2"]
    assert resp.headers["X-B"] == "3"
    assert resp.headers["X-C"] == "4"
    assert resp.headers["Vary"] == "Cookie"
    assert resp.headers["Content-Length"] == "4"


def test_replaced_headers_refuse_injection(app):
    resp = erlen.Response("x")
    with pytest.raises(ValueError):
        resp.headers = wd.MultiDict({"X-A": "a\r\nSet-Cookie: evil=1"})


# -- smaller Flask differences ---------------------------------------------------------------


def test_none_dropped_from_test_query_string():
    answers = []
    for app, req in zip(both_apps(), (erlen.request, flask.request), strict=True):

        @app.route("/")
        def view(req=req):
            return {"qs": req.query_string.decode(), "args": req.args.to_dict()}

        resp = app.test_client().get("/", query_string={"a": None, "b": "1", "c": [None, "2"]})
        answers.append(resp.get_json())
    assert answers[0] == answers[1] == {"qs": "b=1&c=2", "args": {"b": "1", "c": "2"}}


def test_after_request_added_during_first_request_runs(app, client):
    ran = []

    @app.before_request
    def add_hook():
        # NOTE: as some extensions do, straight into the registry, bypassing the setup check.
        if not ran:
            app.after_request_funcs.setdefault(None, []).append(late)

    def late(resp):
        ran.append(True)
        resp.headers["X-Late"] = "yes"
        return resp

    @app.route("/")
    def view():
        return "ok"

    assert client.get("/").headers.get("X-Late") == "yes"
    assert client.get("/").headers.get("X-Late") == "yes"
    assert len(ran) == 2


def test_hook_list_replaced_in_registry_is_seen(app, client):
    @app.route("/")
    def view():
        return "ok"

    assert client.get("/").headers.get("X-Hook") is None

    def hook(resp):
        resp.headers["X-Hook"] = "1"
        return resp

    app.after_request_funcs[None] = [hook]
    assert client.get("/").headers.get("X-Hook") == "1"
    app.after_request_funcs[None].remove(hook)
    assert client.get("/").headers.get("X-Hook") is None
