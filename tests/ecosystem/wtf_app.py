"""Flask-WTF on erlen: CSRF refusals are a 400 with no handler registered (Flask-WTF raises a
subclass of Werkzeug's BadRequest), a handler for CSRFError runs, and a real multipart FileField
upload validates (FileStorage is one class under compat)."""

from __future__ import annotations

import io
import re

from _common import run
from flask import Flask, render_template_string
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired

PAGE = "<form>{{ form.csrf_token }}{{ form.title }}</form>"


class UploadForm(FlaskForm):
    title = StringField("title", validators=[DataRequired()])
    document = FileField("document", validators=[FileRequired(), FileAllowed(["txt"])])


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="wtf-key", TESTING=True)
    CSRFProtect(app)

    @app.route("/upload", methods=["GET", "POST"])
    def upload():  # type: ignore[no-untyped-def]
        form = UploadForm()
        if form.validate_on_submit():
            data = form.document.data
            return f"{form.title.data}: {data.filename} {len(data.read())} bytes"
        if form.errors:
            return {"errors": form.errors}, 422
        return render_template_string(PAGE, form=form)

    @app.post("/plain")
    def plain():  # type: ignore[no-untyped-def]
        return "unreachable without a token"

    return app


def token_of(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/upload").text
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def csrf_missing_is_400() -> None:
    client = create_app().test_client()
    resp = client.post("/plain", data={"x": "1"})
    assert resp.status_code == 400, resp.status
    assert "The CSRF token is missing." in resp.text
    assert "<title>400 Bad Request</title>" in resp.text


def csrf_handler_runs() -> None:
    app = create_app()

    @app.errorhandler(CSRFError)
    def csrf_error(e):  # type: ignore[no-untyped-def]
        return f"csrf: {e.description}", 400

    client = app.test_client()
    token_of(client)  # NOTE: the session now holds a token; the form's will not match it
    resp = client.post("/plain", data={"csrf_token": "forged"})
    assert (resp.status_code, resp.text) == (400, "csrf: The CSRF token is invalid.")


def multipart_upload_validates() -> None:
    client = create_app().test_client()
    token = token_of(client)
    resp = client.post(
        "/upload",
        data={
            "csrf_token": token,
            "title": "notes",
            "document": (io.BytesIO(b"hello world"), "notes.txt"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.text
    assert resp.text == "notes: notes.txt 11 bytes"


def wrong_file_type_is_refused() -> None:
    client = create_app().test_client()
    token = token_of(client)
    resp = client.post(
        "/upload",
        data={"csrf_token": token, "title": "x", "document": (io.BytesIO(b"MZ"), "evil.exe")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "document" in resp.get_json()["errors"]
    missing = client.post(
        "/upload", data={"csrf_token": token, "title": "x"}, content_type="multipart/form-data"
    )
    assert missing.get_json()["errors"]["document"] == ["This field is required."]


if __name__ == "__main__":
    run(
        csrf_missing_is_400,
        csrf_handler_runs,
        multipart_upload_validates,
        wrong_file_type_is_refused,
    )
