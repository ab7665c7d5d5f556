"""Flask-SQLAlchemy on erlen: CRUD in views, get_or_404, paginate reading page/per_page from the
query string (its abort(404) for a page out of range is erlen's)."""

from __future__ import annotations

import os

from _common import run
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Note(db.Model):  # type: ignore[name-defined]
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))


def create_app() -> Flask:
    app = Flask(__name__)
    path = os.path.join(os.getcwd(), "notes.sqlite")
    app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", TESTING=True)
    db.init_app(app)
    with app.app_context():
        db.create_all()

    @app.post("/notes")
    def create():  # type: ignore[no-untyped-def]
        note = Note(text=request.get_json()["text"])
        db.session.add(note)
        db.session.commit()
        return {"id": note.id, "text": note.text}, 201

    @app.get("/notes/<int:note_id>")
    def read(note_id: int):  # type: ignore[no-untyped-def]
        note = db.get_or_404(Note, note_id, description="no such note")
        return {"id": note.id, "text": note.text}

    @app.put("/notes/<int:note_id>")
    def update(note_id: int):  # type: ignore[no-untyped-def]
        note = db.get_or_404(Note, note_id)
        note.text = request.get_json()["text"]
        db.session.commit()
        return {"id": note.id, "text": note.text}

    @app.delete("/notes/<int:note_id>")
    def delete(note_id: int):  # type: ignore[no-untyped-def]
        db.session.delete(db.get_or_404(Note, note_id))
        db.session.commit()
        return "", 204

    @app.get("/notes")
    def listing():  # type: ignore[no-untyped-def]
        page = db.paginate(db.select(Note).order_by(Note.id), max_per_page=50)
        return {
            "page": page.page,
            "pages": page.pages,
            "total": page.total,
            "texts": [n.text for n in page.items],
            "has_next": page.has_next,
        }

    return app


def crud() -> None:
    client = create_app().test_client()
    created = client.post("/notes", json={"text": "first"})
    assert created.status_code == 201
    note_id = created.get_json()["id"]
    assert client.get(f"/notes/{note_id}").get_json() == {"id": note_id, "text": "first"}
    assert client.put(f"/notes/{note_id}", json={"text": "changed"}).get_json()["text"] == "changed"
    assert client.delete(f"/notes/{note_id}").status_code == 204
    missing = client.get(f"/notes/{note_id}")
    assert missing.status_code == 404
    assert "no such note" in missing.text


def paginate_from_query_string() -> None:
    client = create_app().test_client()
    for n in range(23):
        client.post("/notes", json={"text": f"n{n}"})
    first = client.get("/notes?per_page=10").get_json()
    assert first["page"] == 1 and first["pages"] == 3 and first["total"] == 23
    assert first["texts"][0] == "n0" and first["has_next"] is True
    last = client.get("/notes", query_string={"page": 3, "per_page": 10}).get_json()
    assert last["texts"] == ["n20", "n21", "n22"] and last["has_next"] is False
    assert client.get("/notes?page=9&per_page=10").status_code == 404
    # NOTE: a malformed or negative page number is a 404 (error_out), as Flask-SQLAlchemy documents.
    assert client.get("/notes?page=abc&per_page=10").status_code == 404
    assert client.get("/notes?page=-1").status_code == 404


if __name__ == "__main__":
    run(crud, paginate_from_query_string)
