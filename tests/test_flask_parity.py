"""One app, written once, built with Flask and with erlen: every request must answer the same.

This is the compatibility promise checked directly: the module under test is the only thing that
differs between the two runs.
"""

from __future__ import annotations

import io
import types

import flask
import flask.views
import pytest

import erlen
import erlen.views

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")


def build(fw: types.ModuleType):
    """The same application source, against ``fw`` (``flask`` or ``erlen``)."""
    app = fw.Flask("parity_app")
    app.config.update(SECRET_KEY="parity", TESTING=True)
    bp = fw.Blueprint("drawing", "parity_app", url_prefix="/drawing")

    @bp.route("/add_watermark")
    def add_watermark():
        return f"watermark for {fw.request.blueprint}"

    @bp.errorhandler(ValueError)
    def bp_value_error(e):
        return "bp handled", 409

    @bp.route("/fail")
    def bp_fail():
        raise ValueError("x")

    app.register_blueprint(bp)

    @app.route("/", methods=["get"])
    def hello():
        return "hello world!!!"

    @app.route("/user/<int:uid>")
    def user(uid):
        return {"uid": uid, "next": fw.url_for("user", uid=uid + 1, tab="a b")}

    @app.route("/args")
    def args():
        return {
            "username": fw.request.args.get("username"),
            "many": fw.request.args.getlist("n", type=int),
            "page": fw.request.args.get("page", 1, type=int),
        }

    @app.route("/form", methods=["POST"])
    def form():
        upload = fw.request.files.get("file")
        return {
            "form": fw.request.form.to_dict(flat=False),
            "file": [upload.filename, upload.read().decode()] if upload else None,
        }

    @app.route("/json", methods=["POST"])
    def json_view():
        return fw.jsonify(got=fw.request.get_json())

    @app.route("/login", methods=["POST"])
    def login():
        fw.session["user"] = fw.request.form["username"]
        fw.flash("welcome")
        return fw.redirect(fw.url_for("whoami"))

    @app.route("/whoami")
    def whoami():
        return {"user": fw.session.get("user"), "flashes": fw.get_flashed_messages()}

    @app.route("/logout")
    def logout():
        fw.session.pop("user", None)
        return fw.redirect(fw.url_for("whoami"))

    @app.route("/cookie")
    def cookie():
        resp = fw.make_response(f"had {fw.request.cookies.get('username')}")
        resp.set_cookie("username", "the username", max_age=60, httponly=True, samesite="Lax")
        return resp

    @app.route("/tuple")
    def tuple_view():
        return "created", 201, {"X-Custom": "yes"}

    @app.route("/abort")
    def abort_view():
        fw.abort(403)

    @app.route("/folder/")
    def folder():
        return "folder"

    @app.route("/template")
    def template():
        return fw.render_template_string(
            "<a href='{{ url_for('user', uid=3) }}'>{{ name }}</a>{{ data|tojson }}",
            name="<b>&</b>",
            data={"k": "<script>"},
        )

    @app.route("/external")
    def external():
        return fw.url_for("user", uid=1, _external=True, _anchor="top x")

    class Items(fw.views.MethodView):
        def get(self):
            return fw.jsonify([1, 2, 3])

        def post(self):
            return "posted", 201

    app.add_url_rule("/items", view_func=Items.as_view("items"))

    @app.route("/values", methods=["GET", "POST"])
    def values():
        return {"a": fw.request.values.getlist("a"), "method": fw.request.method}

    @app.route("/moved")
    def moved():
        return fw.redirect("/target?x=ü y", 301)

    @app.route("/permanent")
    def permanent():
        fw.session.permanent = True
        fw.session["n"] = fw.session.get("n", 0) + 1
        return str(fw.session["n"])

    @app.route("/missing-key")
    def missing_key():
        return fw.request.args["nope"]

    @app.errorhandler(404)
    def not_found(e):
        return f"custom 404: {e.code}", 404

    @app.after_request
    def stamp(response):
        response.headers["X-After"] = fw.request.endpoint or "none"
        return response

    return app


COMPARED_HEADERS = ("Content-Type", "Location", "Allow", "X-After", "X-Custom", "Vary")


def snapshot(response) -> tuple:
    headers = {name: response.headers.get(name) for name in COMPARED_HEADERS}
    if headers["Allow"]:
        # NOTE: Flask lists a set in arbitrary order; erlen sorts it (docs/differences.md).
        headers["Allow"] = sorted(headers["Allow"].split(", "))
    body = response.get_data()
    if response.mimetype == "application/json":
        body = response.get_json()
    return response.status_code, headers, body


REQUESTS = [
    ("GET", "/", {}),
    ("POST", "/", {}),
    ("HEAD", "/", {}),
    ("OPTIONS", "/", {}),
    ("GET", "/user/41", {}),
    ("GET", "/user/x", {}),
    ("GET", "/args?username=alice&n=1&n=x&n=3&page=zz", {}),
    ("GET", "/args", {}),
    ("POST", "/form", {"data": {"a": ["1", "2"], "b": "x y"}}),
    ("POST", "/form", {"data": {"a": "1", "file": (io.BytesIO(b"content"), "f.txt")}}),
    ("POST", "/json", {"json": {"k": [1, 2, {"z": None}]}}),
    ("POST", "/json", {"data": "{bad", "content_type": "application/json"}),
    ("POST", "/json", {"data": "{}", "content_type": "text/plain"}),
    ("GET", "/tuple", {}),
    ("GET", "/abort", {}),
    ("GET", "/folder", {}),
    ("GET", "/folder?x=1", {}),
    ("GET", "/nowhere", {}),
    ("GET", "/drawing/add_watermark", {}),
    ("GET", "/drawing/fail", {}),
    ("GET", "/template", {}),
    ("GET", "/external", {}),
    ("GET", "/items", {}),
    ("POST", "/items", {}),
    ("DELETE", "/items", {}),
    ("POST", "/values?a=1", {"data": {"a": "2"}}),
    ("GET", "/moved", {}),
    ("GET", "/permanent", {}),
    ("GET", "/missing-key", {}),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS]
)
def test_same_answer(method, path, kwargs):
    answers = []
    for fw in (flask, erlen):
        fresh = {
            k: (v if k != "data" or not isinstance(v, dict) else _fresh_files(v))
            for k, v in kwargs.items()
        }
        client = build(fw).test_client()
        with client.open(path, method=method, **fresh) as response:
            answers.append(snapshot(response))
    flask_answer, erlen_answer = answers
    assert erlen_answer == flask_answer


def _fresh_files(data: dict) -> dict:
    # NOTE: a file object is consumed by the first client; give each run its own copy.
    out = {}
    for key, value in data.items():
        if isinstance(value, tuple) and hasattr(value[0], "getvalue"):
            value = (io.BytesIO(value[0].getvalue()), *value[1:])
        out[key] = value
    return out


def test_session_flow_matches():
    transcripts = []
    for fw in (flask, erlen):
        client = build(fw).test_client()
        steps = []
        for method, path, kwargs in [
            ("GET", "/whoami", {}),
            ("POST", "/login", {"data": {"username": "alice"}}),
            ("GET", "/whoami", {}),
            ("GET", "/whoami", {}),
            ("GET", "/logout", {}),
            ("GET", "/whoami", {}),
            ("GET", "/cookie", {}),
            ("GET", "/cookie", {}),
        ]:
            with client.open(path, method=method, **kwargs) as response:
                steps.append(snapshot(response))
        cookie = client.get_cookie("username")
        steps.append((cookie.value, cookie.max_age, cookie.http_only, cookie.same_site))
        transcripts.append(steps)
    assert transcripts[1] == transcripts[0]
