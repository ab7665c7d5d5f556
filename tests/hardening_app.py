"""The app :mod:`test_hardening` serves under gunicorn (``hardening_app:app``, cwd ``tests/``).

Each view exposes one thing a hostile request may try to break: URL building from the Host
header, the trailing-slash redirect, byte ranges on static files and ``send_file``, the body of
a chunked request, a redirect to a user-supplied target, a header a view sets.
"""

from __future__ import annotations

from pathlib import Path

from erlen import Erlen, Response, jsonify, make_response, redirect, request, send_file, url_for

HERE = Path(__file__).resolve().parent

app = Erlen(__name__, static_folder=str(HERE / "fixtures" / "static"))


@app.route("/", methods=["GET"])
def hello() -> str:
    return "hello world!!!"


@app.route("/ext/")
def external() -> str:
    """The view's own external URL (built from the request's host)."""
    return url_for("external", _external=True)


@app.route("/file")
def file() -> Response:
    return send_file(HERE / "fixtures" / "static" / "hello.txt")


@app.post("/body")
def body() -> Response:
    return jsonify(size=len(request.get_data()))


@app.post("/form")
def form() -> Response:
    return jsonify(form=request.form.to_dict())


@app.route("/go")
def go() -> Response:
    return redirect(request.args.get("to", "/"))


@app.route("/snowman-header")
def snowman_header() -> Response:
    """Sets a header value latin-1 cannot encode: an app bug, so a 500, but a whole one."""
    response = make_response("body")
    response.headers["X-Snowman"] = "snow \u2603 man"
    return response
