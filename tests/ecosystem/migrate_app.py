"""Flask-Migrate on erlen: ``flask db init/migrate/upgrade`` through the CLI: first with the runner
(``python -m erlen.compat flask ...``), then a second revision with Flask's own ``flask`` console
script under the ``ERLEN_COMPAT=1`` start-up hook (erlen-compat.pth, loaded from a temp site dir).

Runs in the current directory (a temp dir given by tests/test_ecosystem.py)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap

from _common import ON_FLASK, run

APP_SOURCE = textwrap.dedent(
    """
    import os
    from flask import Flask
    from flask_migrate import Migrate
    from flask_sqlalchemy import SQLAlchemy

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.abspath("{db}")
    db = SQLAlchemy(app)
    Migrate(app, db, directory="{migrations}")

    # NOTE: which framework the CLI really loaded the app with.
    with open("app_class.txt", "w") as f:
        f.write(type(app).__module__)

    class Note(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(200))
    {extra}
    """
)


def write_app(name: str, db: str, migrations: str, extra: str = "") -> None:
    with open(f"{name}.py", "w", encoding="utf-8") as f:
        f.write(APP_SOURCE.format(db=db, migrations=migrations, extra=extra))


def flask_command(*args: str) -> list[str]:
    if ON_FLASK:
        return [sys.executable, "-m", "flask", *args]
    return [sys.executable, "-m", "erlen.compat", "flask", *args]


def hooked_python(code: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """``python -c code args`` with erlen-compat.pth in a site dir and ERLEN_COMPAT=1."""
    site_dir = os.path.abspath("site")
    if not os.path.isdir(site_dir):
        os.makedirs(site_dir, exist_ok=True)
        from erlen.compat import pth_line
        from erlen.compat.__main__ import PTH_NAME

        with open(os.path.join(site_dir, PTH_NAME), "w", encoding="utf-8") as f:
            f.write(pth_line())
    # NOTE: site.addsitedir processes .pth files as interpreter start-up does for site-packages.
    prelude = f"import site; site.addsitedir({site_dir!r}); "
    return [sys.executable, "-c", prelude + code, *args], dict(os.environ, ERLEN_COMPAT="1")


def hooked_console_script(*args: str) -> tuple[list[str], dict[str, str]]:
    """Flask's installed ``flask`` script, run under the start-up hook."""
    script = shutil.which("flask")
    assert script, "Flask's console script is not installed"
    code = (
        f"import sys, runpy; sys.argv[0] = 'flask'; runpy.run_path({script!r}, run_name='__main__')"
    )
    return hooked_python(code, *args)


def call(cmd: list[str], env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, (cmd, proc.stdout, proc.stderr)
    return proc.stdout + proc.stderr


def columns(db: str, table: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def init_migrate_upgrade() -> None:
    """The runner: init, a first revision, upgrade."""
    write_app("notes_app", "notes.sqlite", "migrations")
    call(flask_command("--app", "notes_app", "db", "init"))
    assert os.path.exists("migrations/env.py")
    out = call(flask_command("--app", "notes_app", "db", "migrate", "-m", "notes"))
    assert "Detected added table 'note'" in out, out
    call(flask_command("--app", "notes_app", "db", "upgrade"))
    assert columns("notes.sqlite", "note") == ["id", "text"]
    with open("app_class.txt", encoding="utf-8") as f:
        assert f.read() == ("flask.app" if ON_FLASK else "erlen.app")


def console_script_under_the_hook() -> None:
    """A model change becomes a second revision, made by Flask's own ``flask`` console script
    (under the start-up hook on erlen)."""
    write_app("notes_app", "notes.sqlite", "migrations", "    done = db.Column(db.Boolean)\n")
    os.remove("app_class.txt")
    for args in (["db", "migrate", "-m", "done flag"], ["db", "upgrade"]):
        if ON_FLASK:
            call(flask_command("--app", "notes_app", *args))
        else:
            cmd, env = hooked_console_script("--app", "notes_app", *args)
            out = call(cmd, env)
            assert args[1] != "migrate" or "Detected added column 'note.done'" in out, out
    assert columns("notes.sqlite", "note") == ["id", "text", "done"]
    with open("app_class.txt", encoding="utf-8") as f:
        assert f.read() == ("flask.app" if ON_FLASK else "erlen.app")


if __name__ == "__main__":
    run(init_migrate_upgrade, console_script_under_the_hook)
