"""erlen.compat's contract, checked in subprocesses (it patches the whole process, and this suite
uses real Flask and Werkzeug as oracles): flask is erlen, Werkzeug's shared names are erlen's
classes, the runner and the start-up hook."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")


def python(code: str, *args: str, cwd: Path | None = None, **env: str) -> str:
    full_env = dict(os.environ, **env)
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-W", "error", *(["-c", textwrap.dedent(code)] if code else []), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_flask_is_erlen() -> None:
    out = python(
        """
        import erlen.compat
        import importlib, sys, warnings
        import flask, erlen
        import flask.json.provider, flask.sansio.scaffold, flask.sansio.app
        from flask import Flask, request, Blueprint
        from flask.globals import request_ctx
        assert Flask is erlen.Erlen and request is erlen.request and Blueprint is erlen.Blueprint
        assert flask.cli is erlen.cli and flask.json.provider is erlen.json.provider
        assert sys.modules["flask.sansio.scaffold"] is erlen.scaffold
        assert sys.modules["flask.sansio.app"] is erlen.app
        # NOTE: erlen's modules keep their own spec and name.
        assert erlen.cli.__spec__.name == "erlen.cli" and erlen.cli.__name__ == "erlen.cli"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert flask.__version__ == "3.1.3"
        assert caught and caught[0].category is DeprecationWarning
        assert erlen.__version__ != "3.1.3"
        try:
            import flask.debughelpers_nope
        except ModuleNotFoundError:
            pass
        else:
            raise AssertionError("a missing flask.X must not load")
        assert importlib.util.find_spec("erlen.cli").name == "erlen.cli"
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_werkzeug_names_are_erlen_classes_both_ways() -> None:
    out = python(
        """
        import erlen.compat
        import werkzeug.datastructures as wd, werkzeug.exceptions as wx, werkzeug.routing as wr
        import werkzeug.wrappers as ww
        import erlen
        from erlen import exceptions as ex, datastructures as ed
        assert wx.NotFound is ex.NotFound and wx.HTTPException is ex.HTTPException
        assert wx.abort is ex.abort
        assert wd.MultiDict is ed.MultiDict and wd.FileStorage is ed.FileStorage
        assert wd.Headers is ed.Headers
        assert wr.BaseConverter is erlen.routing.BaseConverter
        assert wr.ValidationError is erlen.routing.ValidationError
        assert ww.Response is erlen.wrappers.Response and ww.Request is erlen.wrappers.Request
        assert isinstance(ex.NotFound(), wx.HTTPException)
        try:
            wx.abort(404)
        except ex.NotFound:
            pass
        # A converter written against Werkzeug's base class works in an erlen app.
        class Upper(wr.BaseConverter):
            def to_python(self, value):
                return value.upper()
        app = erlen.Erlen("x")
        app.url_map.converters["upper"] = Upper
        app.add_url_rule("/<upper:name>", "n", lambda name: name)
        # Werkzeug's own modules bound the original classes: erlen still handles those.
        from erlen.compat._werkzeug import replaced
        original = replaced["werkzeug.exceptions"]["NotFound"]()
        assert type(original).__module__ == "werkzeug.exceptions"
        assert not isinstance(original, ex.HTTPException)
        @app.route("/raise")
        def raise_original():
            raise original
        client = app.test_client()
        assert client.get("/abc").text == "ABC"
        assert client.get("/raise").status_code == 404
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_real_flask_loaded_first_is_replaced() -> None:
    out = python(
        """
        import flask, flask.sansio.scaffold
        real = flask.Flask
        import erlen.compat, erlen, sys
        import flask as again
        assert again.Flask is erlen.Erlen and real is not erlen.Erlen
        assert sys.modules["flask.sansio.scaffold"] is erlen.scaffold
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_runner_runs_a_script_and_the_cli(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text(
        "import flask, erlen, os\n"
        "assert flask.Flask is erlen.Erlen and os.environ['ERLEN_COMPAT'] == '1'\n"
        "print('script ok')\n"
    )
    assert python("", "-m", "erlen.compat", "script.py", cwd=tmp_path).strip() == "script ok"
    (tmp_path / "hello.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n"
        "@app.cli.command('hello')\ndef hello():\n    print('hello from', type(app).__module__)\n"
    )
    out = python("", "-m", "erlen.compat", "flask", "--app", "hello", "hello", cwd=tmp_path)
    assert out.strip() == "hello from erlen.app"


def test_startup_hook_follows_the_variable(tmp_path: Path) -> None:
    python("", "-m", "erlen.compat", "--install-pth", str(tmp_path))
    assert (tmp_path / "erlen-compat.pth").is_file()
    probe = f"import site, sys; site.addsitedir({str(tmp_path)!r}); print('erlen.compat' in sys.modules)"
    assert python(probe, ERLEN_COMPAT="1").strip() == "True"
    assert python(probe, ERLEN_COMPAT="0").strip() == "False"
    python("", "-m", "erlen.compat", "--uninstall-pth", str(tmp_path))
    assert not (tmp_path / "erlen-compat.pth").exists()
