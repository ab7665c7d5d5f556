"""Flask behaviours erlen lacked (issue 7, item 4), each compared with real Flask or Werkzeug.

``TRUSTED_HOSTS`` is covered with the other Host checks in ``test_hardening.py``.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import typing as t
import warnings
from pathlib import Path

import flask
import flask.debughelpers
import flask.helpers
import pytest
import werkzeug.wrappers

import erlen
import erlen.helpers
from erlen import Erlen, request
from erlen.datastructures import ImmutableOrderedMultiDict, OrderedMultiDict
from erlen.debughelpers import DebugFilesKeyError
from erlen.http.policy_headers import COEP, COOP, ContentSecurityPolicy


def _werkzeug_ordered() -> tuple[type[t.Any], type[t.Any]]:
    # NOTE: Werkzeug 3.1 deprecates these; the warning is theirs, not erlen's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from werkzeug.datastructures import ImmutableOrderedMultiDict as WImmutable
        from werkzeug.datastructures import OrderedMultiDict as WOrdered
    return WOrdered, WImmutable


# ------------------------------------------------------------- get_debug_flag, get_load_dotenv


@pytest.mark.parametrize("value", [None, "", "1", "true", "yes", "0", "false", "No", "FALSE", "x"])
def test_get_debug_flag_matches_flask(value: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERLEN_DEBUG", raising=False)
    if value is None:
        monkeypatch.delenv("FLASK_DEBUG", raising=False)
    else:
        monkeypatch.setenv("FLASK_DEBUG", value)
    assert erlen.helpers.get_debug_flag() is flask.helpers.get_debug_flag()
    app = Erlen("debug_flag")
    assert app.debug is flask.helpers.get_debug_flag()


def test_erlen_debug_wins_over_flask_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("ERLEN_DEBUG", "0")
    assert erlen.helpers.get_debug_flag() is False
    assert Erlen("debug_flag").debug is False


@pytest.mark.parametrize("value", [None, "", "1", "true", "0", "false", "no", "x"])
@pytest.mark.parametrize("default", [True, False])
def test_get_load_dotenv_matches_flask(
    value: str | None, default: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERLEN_SKIP_DOTENV", raising=False)
    if value is None:
        monkeypatch.delenv("FLASK_SKIP_DOTENV", raising=False)
    else:
        monkeypatch.setenv("FLASK_SKIP_DOTENV", value)
    assert erlen.helpers.get_load_dotenv(default) is flask.helpers.get_load_dotenv(default)


# ------------------------------------------------------------------ show_server_banner


@pytest.mark.parametrize("debug", [None, True, False])
@pytest.mark.parametrize("path", [None, "hello:app"])
def test_show_server_banner_prints_flasks_lines(
    debug: bool | None, path: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    import flask.cli

    import erlen.cli

    flask.cli.show_server_banner(debug, path)  # type: ignore[arg-type]
    flask_out = capsys.readouterr()
    erlen.cli.show_server_banner(debug, path)
    erlen_out = capsys.readouterr()
    # Same lines on the same stream; only the framework's name differs.
    # Same lines on the same stream; only the framework's name differs.
    assert erlen_out.err == flask_out.err == ""
    assert erlen_out.out == flask_out.out.replace("Serving Flask app", "Serving erlen app")
    assert (" * Debug mode: " in erlen_out.out) is (debug is not None)
    assert (path is not None) is (f"app '{path}'" in erlen_out.out)


# ---------------------------------------------------------- a file field without enctype


def _upload_app(module: t.Any, debug: bool) -> t.Any:
    cls = getattr(module, "Flask", None) or module.Erlen
    app = cls("enctype")
    app.debug = debug

    @app.post("/up")
    def up() -> str:
        return module.request.files["photo"].filename or ""

    return app


def test_file_field_without_enctype_explains_itself_in_debug() -> None:
    theirs = _upload_app(flask, debug=True).test_client()
    ours = _upload_app(erlen, debug=True).test_client()
    with pytest.raises(flask.debughelpers.DebugFilesKeyError) as flask_error:
        theirs.post("/up", data={"photo": "cat.jpg"})
    with pytest.raises(DebugFilesKeyError) as erlen_error:
        ours.post("/up", data={"photo": "cat.jpg"})
    assert str(erlen_error.value) == str(flask_error.value)
    assert 'enctype="multipart/form-data"' in str(erlen_error.value)
    assert "This was submitted: 'cat.jpg'" in str(erlen_error.value)
    assert isinstance(erlen_error.value, KeyError) and isinstance(erlen_error.value, AssertionError)


def test_file_field_without_enctype_outside_debug_is_400() -> None:
    client = _upload_app(erlen, debug=False).test_client()
    assert client.post("/up", data={"photo": "cat.jpg"}).status_code == 400


def test_missing_file_not_in_the_form_is_a_plain_key_error_in_debug() -> None:
    app = _upload_app(erlen, debug=True)
    app.testing = False
    with pytest.raises(KeyError) as info:
        app.test_client().post("/up", data={"other": "x"})
    assert not isinstance(info.value, DebugFilesKeyError)


def test_a_real_upload_in_debug_still_works() -> None:
    client = _upload_app(erlen, debug=True).test_client()
    response = client.post("/up", data={"photo": (io.BytesIO(b"img"), "cat.jpg")})
    assert response.get_data() == b"cat.jpg"


# ---------------------------------------------------------------- url_build_error_handlers


def _build_error_app(module: t.Any) -> tuple[t.Any, list[t.Any]]:
    cls = getattr(module, "Flask", None) or module.Erlen
    app = cls("build_errors")
    app.config["SERVER_NAME"] = "example.com"
    calls: list[t.Any] = []

    def external(error: Exception, endpoint: str, values: dict[str, t.Any]) -> str | None:
        calls.append((type(error).__name__, endpoint, dict(values)))
        if endpoint == "ext":
            return "https://elsewhere.example/" + str(values.get("x", ""))
        return None

    app.url_build_error_handlers.append(external)

    @app.route("/page")
    def page() -> str:
        out = [module.url_for("ext", x="1"), module.url_for("ext", x="2", _external=True)]
        try:
            module.url_for("missing")
        except Exception as e:
            out.append(type(e).__name__)
        out.append(module.render_template_string("{{ url_for('ext', x='t') }}"))
        return "|".join(out)

    return app, calls


def test_url_build_error_handlers_match_flask() -> None:
    flask_app, flask_calls = _build_error_app(flask)
    erlen_app, erlen_calls = _build_error_app(erlen)
    theirs = flask_app.test_client().get("/page", base_url="http://example.com")
    ours = erlen_app.test_client().get("/page", base_url="http://example.com")
    assert ours.get_data(as_text=True) == theirs.get_data(as_text=True)
    assert "https://elsewhere.example/t" in ours.get_data(as_text=True)
    assert erlen_calls == flask_calls
    with erlen_app.app_context():
        assert erlen.url_for("ext", x="3") == "https://elsewhere.example/3"


# ------------------------------------------------------------------------ instance folder


def _make_package(base: Path, name: str) -> None:
    (base / name).mkdir(parents=True)
    (base / name / "__init__.py").write_text("")


@pytest.fixture
def import_dir(monkeypatch: pytest.MonkeyPatch) -> t.Callable[[Path], None]:
    added: list[str] = []

    def add(path: Path) -> None:
        monkeypatch.syspath_prepend(str(path))
        added.append(str(path))
        importlib.invalidate_caches()

    yield add
    for name in [n for n, m in sys.modules.items() if getattr(m, "__file__", None)]:
        if any(str(sys.modules[name].__file__).startswith(p) for p in added):
            del sys.modules[name]


@pytest.mark.parametrize(
    "site",
    ["venv/lib/python3.11/site-packages", "win/Lib/site-packages", "odd/site-packages"],
)
def test_installed_package_instance_folder_matches_flask(
    tmp_path: Path, import_dir: t.Callable[[Path], None], site: str
) -> None:
    site_dir = tmp_path / site
    _make_package(site_dir, "installed_pkg_i7")
    (site_dir / "installed_mod_i7.py").write_text("")
    import_dir(site_dir)
    for name in ["installed_pkg_i7", "installed_mod_i7"]:
        ours = Erlen(name).instance_path
        assert ours == flask.Flask(name).instance_path
        assert ours.endswith(os.path.join("var", f"{name}-instance"))


def test_project_package_instance_folder_matches_flask(
    tmp_path: Path, import_dir: t.Callable[[Path], None]
) -> None:
    """The flaskr layout: ``project/flaskr/__init__.py`` gets ``project/instance``."""
    project = tmp_path / "project"
    _make_package(project, "flaskr_i7")
    (project / "single_i7.py").write_text("")
    import_dir(project)
    for name in ["flaskr_i7", "single_i7"]:
        assert Erlen(name).instance_path == flask.Flask(name).instance_path
        assert Erlen(name).instance_path == str(project / "instance")


def test_unknown_module_instance_folder_is_next_to_root_path(tmp_path: Path) -> None:
    app = Erlen("no_such_module_i7", root_path=str(tmp_path))
    assert app.instance_path == str(tmp_path / "instance")


def test_installed_package_instance_folder_under_sys_prefix() -> None:
    """A package installed in this interpreter's prefix (Jinja2 is a dependency)."""
    expected = os.path.join(os.path.abspath(sys.prefix), "var", "jinja2-instance")
    if not flask.Flask("jinja2").instance_path == expected:
        pytest.fail("Jinja2 is expected installed under sys.prefix in the test environment")
    assert Erlen("jinja2").instance_path == expected


# --------------------------------------------------------------- ImmutableOrderedMultiDict


PAIRS = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5)]


_WZ_DEPRECATED = "ignore:'(Immutable)?OrderedMultiDict' is deprecated:DeprecationWarning"


@pytest.mark.filterwarnings(_WZ_DEPRECATED)
def test_ordered_multidict_matches_werkzeug() -> None:
    WOrdered, WImmutable = _werkzeug_ordered()
    for ours, theirs in [(OrderedMultiDict(PAIRS), WOrdered(PAIRS))]:
        assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
        assert list(ours.items()) == list(theirs.items())
        assert list(ours.lists()) == list(theirs.lists())
        assert list(ours) == list(theirs)
        for step in [
            lambda d: d.add("b", 6),
            lambda d: d.__setitem__("a", 9),
            lambda d: d.setlist("c", [7, 8]),
            lambda d: d.pop("b"),
            lambda d: d.update({"d": [1, 2]}),
            lambda d: d.poplist("a"),
            lambda d: d.setdefault("e", 0),
            lambda d: d.popitem(),
        ]:
            assert step(ours) == step(theirs)
            assert list(ours.items(multi=True)) == list(theirs.items(multi=True))


@pytest.mark.filterwarnings(_WZ_DEPRECATED)
def test_immutable_ordered_multidict_matches_werkzeug() -> None:
    _, WImmutable = _werkzeug_ordered()
    ours, theirs = ImmutableOrderedMultiDict(PAIRS), WImmutable(PAIRS)
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert ours.to_dict(flat=False) == theirs.to_dict(flat=False)
    assert ours.getlist("a") == theirs.getlist("a") == [1, 3]
    assert (ours == ImmutableOrderedMultiDict(PAIRS[::-1])) is False
    assert hash(ours) == hash(ImmutableOrderedMultiDict(PAIRS))
    for change in [
        lambda d: d.add("x", 1),
        lambda d: d.__setitem__("x", 1),
        lambda d: d.pop("a"),
        lambda d: d.clear(),
    ]:
        with pytest.raises(TypeError):
            change(ours)
    copy = ours.copy()
    copy.add("z", 0)
    assert type(copy) is OrderedMultiDict and list(copy.items(multi=True))[-1] == ("z", 0)


def test_ordered_multidict_pickles_and_copies_in_order() -> None:
    import copy
    import pickle

    for d in [OrderedMultiDict(PAIRS), ImmutableOrderedMultiDict(PAIRS)]:
        for clone in [pickle.loads(pickle.dumps(d)), copy.deepcopy(d)]:
            assert type(clone) is type(d)
            assert list(clone.items(multi=True)) == PAIRS


def test_immutable_ordered_multidict_as_the_request_storage() -> None:
    class OrderedRequest(erlen.Request):
        parameter_storage_class = ImmutableOrderedMultiDict

    app = Erlen("ordered_form")
    app.request_class = OrderedRequest

    @app.post("/")
    def index() -> t.Any:
        return {
            "form": list(request.form.items(multi=True)),
            "args": list(request.args.items(multi=True)),
            "type": type(request.form).__name__,
        }

    response = app.test_client().post(
        "/?x=1&y=2&x=3", data="a=1&b=2&a=3", content_type=("application/x-www-form-urlencoded")
    )
    assert response.json == {
        "form": [["a", "1"], ["b", "2"], ["a", "3"]],
        "args": [["x", "1"], ["y", "2"], ["x", "3"]],
        "type": "ImmutableOrderedMultiDict",
    }


# --------------------------------------------------------------------- Request.application


def _hello(request: t.Any) -> t.Any:
    if request.args.get("fail"):
        from erlen.exceptions import NotFound

        raise NotFound()
    return erlen.Response(f"Hello {request.args.get('name', 'World')}! {request.method}")


def _wz_hello(request: t.Any) -> t.Any:
    if request.args.get("fail"):
        from werkzeug.exceptions import NotFound

        raise NotFound()
    return werkzeug.wrappers.Response(
        f"Hello {request.args.get('name', 'World')}! {request.method}"
    )


@pytest.mark.parametrize("query", ["", "name=Ann", "fail=1"])
def test_request_application_matches_werkzeug(query: str) -> None:
    from werkzeug.test import Client

    ours = Client(erlen.Request.application(_hello)).get("/?" + query)
    theirs = Client(werkzeug.wrappers.Request.application(_wz_hello)).get("/?" + query)
    assert (ours.status_code, ours.get_data()) == (theirs.status_code, theirs.get_data())
    assert erlen.Request.application(_hello).__name__ == "_hello"


def test_request_application_on_a_method() -> None:
    from werkzeug.test import Client

    class Service:
        greeting = "Hi"

        @erlen.Request.application
        def __call__(self, request: t.Any) -> t.Any:
            return erlen.Response(f"{self.greeting} {request.path}")

    assert Client(Service()).get("/x").get_data() == b"Hi /x"


# --------------------------------------------------- CSP, COOP and COEP response properties


def test_content_security_policy_matches_werkzeug() -> None:
    ours, theirs = erlen.Response(), werkzeug.wrappers.Response()
    for response in (ours, theirs):
        response.content_security_policy.default_src = "'self'"
        response.content_security_policy.img_src = "*"
        response.content_security_policy.script_src = "https://cdn.example"
        response.content_security_policy_report_only.report_uri = "/csp-report"
    for header in ["Content-Security-Policy", "Content-Security-Policy-Report-Only"]:
        assert ours.headers[header] == theirs.headers[header]
    assert ours.headers["Content-Security-Policy"] == (
        "default-src 'self'; img-src *; script-src https://cdn.example"
    )
    assert ours.content_security_policy.script_src == "https://cdn.example"
    assert dict(ours.content_security_policy) == dict(theirs.content_security_policy)
    del ours.content_security_policy.img_src
    assert ours.headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src https://cdn.example"
    )
    ours.content_security_policy = None
    assert "Content-Security-Policy" not in ours.headers
    ours.content_security_policy = {"default-src": "'none'"}
    assert ours.headers["Content-Security-Policy"] == "default-src 'none'"
    ours.content_security_policy = "frame-ancestors 'none'; upgrade-insecure-requests"
    assert ours.content_security_policy.frame_ancestors == "'none'"
    # NOTE: a directive without a value is kept (Werkzeug drops it when it re-reads the header).
    assert ours.content_security_policy.to_header() == (
        "frame-ancestors 'none'; upgrade-insecure-requests"
    )
    assert isinstance(ours.content_security_policy, ContentSecurityPolicy)
    assert repr(ours.content_security_policy).startswith("<ContentSecurityPolicy ")


def test_coop_and_coep_match_werkzeug() -> None:
    from werkzeug.http import COEP as WCOEP
    from werkzeug.http import COOP as WCOOP

    ours, theirs = erlen.Response(), werkzeug.wrappers.Response()
    assert ours.cross_origin_opener_policy.value == theirs.cross_origin_opener_policy.value
    assert ours.cross_origin_opener_policy is COOP.UNSAFE_NONE
    assert ours.cross_origin_embedder_policy is COEP.UNSAFE_NONE
    ours.cross_origin_opener_policy = COOP.SAME_ORIGIN
    theirs.cross_origin_opener_policy = WCOOP.SAME_ORIGIN
    ours.cross_origin_embedder_policy = COEP.REQUIRE_CORP
    theirs.cross_origin_embedder_policy = WCOEP.REQUIRE_CORP
    for header in ["Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy"]:
        assert ours.headers[header] == theirs.headers[header]
    assert ours.cross_origin_opener_policy == "same-origin"
    ours.cross_origin_opener_policy = "same-origin-allow-popups"  # a plain string works too
    assert ours.cross_origin_opener_policy is COOP.SAME_ORIGIN_ALLOW_POPUPS
    ours.headers["Cross-Origin-Opener-Policy"] = "bogus"
    theirs.headers["Cross-Origin-Opener-Policy"] = "bogus"
    assert ours.cross_origin_opener_policy.value == theirs.cross_origin_opener_policy.value
    with pytest.raises(ValueError):
        ours.cross_origin_embedder_policy = "nonsense"
    ours.cross_origin_opener_policy = None
    assert "Cross-Origin-Opener-Policy" not in ours.headers


# ----------------------------------------------------------------------------- g's repr


@pytest.mark.parametrize("name", ["myapp", "pkg.sub", "__main__"])
def test_g_repr_names_the_app_as_flask_does(name: str) -> None:
    flask_app, erlen_app = flask.Flask(name), Erlen(name)
    with flask_app.app_context():
        theirs = repr(flask.g)
    with erlen_app.app_context():
        ours = repr(erlen.g)
    assert ours == theirs.replace("<flask.g", "<erlen.g")
    assert erlen_app.name in ours
    outside = repr(erlen.globals.g) if hasattr(erlen, "globals") else None
    assert outside is None or "erlen.g of" not in outside
