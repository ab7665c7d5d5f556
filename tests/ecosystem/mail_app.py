"""Flask-Mail on erlen: messages sent in a view land in the test outbox (record_messages)."""

from __future__ import annotations

from _common import run
from flask import Flask, request
from flask_mail import Mail, Message


def outbox() -> None:
    app = Flask(__name__)
    app.config.update(TESTING=True, MAIL_DEFAULT_SENDER="noreply@example.com")
    mail = Mail(app)

    @app.post("/invite")
    def invite():  # type: ignore[no-untyped-def]
        msg = Message("You are invited", recipients=[request.form["email"]])
        msg.body = f"Hello {request.form['name']}"
        msg.attach("note.txt", "text/plain", b"see you")
        mail.send(msg)
        return "sent"

    with app.app_context(), mail.record_messages() as box:
        resp = app.test_client().post("/invite", data={"email": "ada@example.com", "name": "Ada"})
        assert resp.text == "sent"
    assert len(box) == 1
    sent = box[0]
    assert sent.subject == "You are invited"
    assert sent.recipients == ["ada@example.com"]
    assert sent.sender == "noreply@example.com"
    assert sent.body == "Hello Ada"
    assert sent.attachments[0].filename == "note.txt"
    with app.app_context():
        assert "Subject: You are invited" in sent.as_string()


if __name__ == "__main__":
    run(outbox)
