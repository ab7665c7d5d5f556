"""Templates: lookup across blueprints, context, autoescape, globals, signals, streaming."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import jinja2
import pytest

import erlen
from erlen import (
    Blueprint,
    Erlen,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    request,
    session,
    stream_template,
    stream_template_string,
    templating,
)
from erlen.signals import before_render_template, template_rendered

TESTS = Path(__file__).parent


@pytest.fixture
def app() -> Erlen:
    app = Erlen(__name__, root_path=str(TESTS), template_folder="fixtures/templates")
    app.config.update(TESTING=True, SECRET_KEY="test secret")

    @app.route("/")
    def index():
        return "index"

    return app


@pytest.fixture
def bp_app(app: Erlen) -> Erlen:
    """``app`` plus a blueprint ``bp`` (templates in fixtures/templates/bp) mounted at /bp."""
    bp = Blueprint("bp", __name__, template_folder="fixtures/templates/bp")

    @bp.route("/shared")
    def shared():
        return render_template("shared.html")

    @bp.route("/only")
    def only():
        return render_template("only_bp.html", who="bp view")

    app.register_blueprint(bp, url_prefix="/bp")
    return app


def test_render_template_from_folder(app: Erlen) -> None:
    with app.app_context():
        assert render_template("hello.html", name="World") == "<h1>Hello World!</h1>"
        assert render_template("nested/inner.html") == "nested 2"


def test_render_template_first_of_list(app: Erlen) -> None:
    with app.app_context():
        assert render_template(["missing.html", "hello.html"], name="x") == "<h1>Hello x!</h1>"
        with pytest.raises(jinja2.TemplatesNotFound):
            render_template(["missing.html", "gone.html"])
        with pytest.raises(jinja2.TemplateNotFound):
            render_template("missing.html")


def test_render_in_a_view(app: Erlen) -> None:
    @app.route("/hello/<name>")
    def hello(name):
        return render_template("hello.html", name=name)

    rv = app.test_client().get("/hello/<you>")
    assert rv.status_code == 200
    assert rv.data == b"<h1>Hello &lt;you&gt;!</h1>"
    assert rv.mimetype == "text/html"


def test_outside_app_context_explains(app: Erlen) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render_template("hello.html")


# -- render_template_string and its cache -----------------------------------------------------


def test_render_template_string(app: Erlen) -> None:
    with app.test_request_context("/page"):
        assert render_template_string("{{ a }} {{ request.path }}", a="<x>") == "&lt;x&gt; /page"


def test_string_templates_are_compiled_once(app: Erlen) -> None:
    env = app.jinja_env
    compiled: list[jinja2.Template] = []

    def record(sender, template, **extra):
        compiled.append(template)

    before_render_template.connect(record, app)
    try:
        with app.app_context():
            assert render_template_string("{{ n }}!", n=1) == "1!"
            assert render_template_string("{{ n }}!", n=2) == "2!"
            assert render_template_string("{{ n }}?", n=3) == "3?"
    finally:
        before_render_template.disconnect(record, app)
    assert compiled[0] is compiled[1]
    assert compiled[0] is not compiled[2]
    assert env.from_string_cached("{{ n }}!") is compiled[0]


def test_string_cache_is_bounded(app: Erlen) -> None:
    env = app.jinja_env
    size = env.string_cache_size
    with app.app_context():
        first = env.from_string_cached("first")
        for i in range(size + 10):
            assert render_template_string(f"{i}") == str(i)
        assert len(env.string_cache) == size
        assert env.from_string_cached("first") is not first  # evicted, compiled again


def test_cached_string_template_sees_later_filters_and_globals(app: Erlen) -> None:
    app.jinja_env.filters["shout"] = lambda s: s.upper()
    source = "{{ 'a'|shout }}{{ extra|default('-') }}{{ 3 is big }}"
    app.jinja_env.tests["big"] = lambda n: n > 2
    with app.app_context():
        assert render_template_string(source) == "A-True"
        # Jinja folds constant expressions at compile time, calling the filter and the test:
        # replacing them must give what a fresh compile (Flask) gives.
        app.jinja_env.filters["shout"] = lambda s: s + "!"
        app.jinja_env.tests.update(big=lambda n: n > 5)
        app.jinja_env.globals["extra"] = "E"
        assert render_template_string(source) == "a!EFalse"


def test_filter_on_a_constant_follows_the_request(app: Erlen) -> None:
    """A filter reading request state (Flask-Babel's decimalformat) on a constant input is not
    folded once into a cached template: each render sees its own request, as on Flask."""
    app.jinja_env.filters["greet"] = lambda s: f"{s} {request.args.get('lang', 'en')}"
    source = "{{ 'hi'|greet }}"
    with app.test_request_context("/?lang=de"):
        assert render_template_string(source) == "hi de"
    with app.test_request_context("/?lang=fr"):
        assert render_template_string(source) == "hi fr"
    assert source not in app.jinja_env.string_cache
    assert app.jinja_env.from_string_cached("{{ name|upper }}") is app.jinja_env.from_string_cached(
        "{{ name|upper }}"
    )


def test_string_cache_cleared_when_settings_change(app: Erlen) -> None:
    env = app.jinja_env
    with app.app_context():
        assert render_template_string("{{ v }}", v="<b>") == "&lt;b&gt;"
        env.autoescape = False
        assert render_template_string("{{ v }}", v="<b>") == "<b>"
        with pytest.raises(jinja2.TemplateSyntaxError):
            render_template_string("{% do [1] %}ok")  # needs the extension added below
        first = env.from_string_cached("x")
        env.add_extension("jinja2.ext.do")
        assert env.from_string_cached("x") is not first
        assert render_template_string("{% do [1] %}ok") == "ok"


def test_overlay_compiles_with_its_own_settings(app: Erlen) -> None:
    env = app.jinja_env
    first = env.from_string_cached("{{ v }}")
    overlay = env.overlay(autoescape=False)
    assert overlay.from_string_cached("{{ v }}").render(v="<b>") == "<b>"
    assert env.from_string_cached("{{ v }}").render(v="<b>") == "&lt;b&gt;"
    assert env.from_string_cached("{{ v }}") is first


def test_cache_size_zero_disables_string_cache() -> None:
    class NoCache(Erlen):
        jinja_options = {"cache_size": 0}

    app = NoCache(__name__, root_path=str(TESTS), template_folder="fixtures/templates")
    with app.app_context():
        assert app.jinja_env.string_cache is None
        a = app.jinja_env.from_string_cached("x")
        assert a is not app.jinja_env.from_string_cached("x")
        assert render_template_string("{{ 1 }}") == "1"


# -- autoescape and tojson --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("escape.html", True),
        ("escape.xml", True),
        ("escape.svg", True),
        ("escape.txt", False),
    ],
)
def test_autoescape_by_extension(app: Erlen, name: str, escaped: bool) -> None:
    with app.app_context():
        rv = render_template(name, value="<a&b>")
    assert rv == ("&lt;a&amp;b&gt;" if escaped else "<a&b>")


def test_select_jinja_autoescape() -> None:
    for name in ("a.html", "a.htm", "a.xml", "a.xhtml", "a.svg", None):
        assert templating.select_jinja_autoescape(name) is True
    for name in ("a.txt", "a.js", "a.html.j2", "html"):
        assert templating.select_jinja_autoescape(name) is False


def test_autoescape_block_override(app: Erlen) -> None:
    with app.app_context():
        rv = render_template_string("{% autoescape false %}{{ v }}{% endautoescape %}", v="<b>")
    assert rv == "<b>"


def test_tojson_uses_app_json_and_is_html_safe(app: Erlen) -> None:
    import datetime

    data = {"b": "</script><!--", "a": datetime.date(2024, 1, 2), "c": "it's & <ok>"}
    with app.app_context():
        rv = render_template("tojson.html", data=data)
    # Keys are sorted and dates serialized by the app's provider; HTML specials are escaped.
    assert rv == (
        '<script>var data = {"a": "Tue, 02 Jan 2024 00:00:00 GMT", '
        '"b": "\\u003c/script\\u003e\\u003c!--", "c": "it\\u0027s \\u0026 \\u003cok\\u003e"};'
        "</script>"
    )
    assert app.jinja_env.policies["json.dumps_function"] == app.json.dumps


# -- default globals and context processors ---------------------------------------------------


def test_default_globals_in_a_request(app: Erlen) -> None:
    @app.route("/globals")
    def page():
        g.flag = "G"
        session["user"] = "ann"
        return render_template("globals.html")

    rv = app.test_client().get("/globals")
    assert rv.data.decode() == "/globals|ann|G|True|/"


def test_default_globals_are_registered(app: Erlen) -> None:
    env = app.jinja_env
    for name in ("url_for", "get_flashed_messages", "config", "request", "session", "g"):
        assert name in env.globals
    assert env.globals["config"] is app.config
    assert env.globals["get_flashed_messages"] is erlen.get_flashed_messages


def test_default_context_processor(app: Erlen) -> None:
    assert templating.default_template_ctx_processor() == {}
    with app.app_context() as ctx:
        assert templating.default_template_ctx_processor() == {"g": ctx.g}
    with app.test_request_context("/x") as ctx:
        rv = templating.default_template_ctx_processor()
        assert rv["request"] is ctx.request
        assert rv["g"] is g._get_current_object()
        assert "session" in rv
        assert render_template_string("{{ session.get('k', 'none') }}") == "none"


def test_session_not_opened_by_a_template_that_ignores_it(app: Erlen) -> None:
    opened: list[bool] = []
    interface = app.session_interface
    original = interface.open_session

    def spy(app_, request):
        opened.append(True)
        return original(app_, request)

    interface.open_session = spy  # type: ignore[method-assign]
    try:
        with app.test_request_context("/"):
            assert render_template("hello.html", name="x") == "<h1>Hello x!</h1>"
            assert opened == []
            assert render_template_string("{{ session.get('a', 1) }}") == "1"
            assert opened == [True]
    finally:
        del interface.open_session


def test_context_processors_app_then_blueprint_and_original_wins(app: Erlen) -> None:
    bp = Blueprint("bp", __name__)
    calls: list[str] = []

    @app.context_processor
    def app_values():
        calls.append("app")
        return {"a": "app-a", "b": "app-b", "c": "app-c"}

    @bp.context_processor
    def bp_values():
        calls.append("bp")
        return {"b": "bp-b", "c": "bp-c"}

    @bp.route("/ctx")
    def ctx_view():
        return render_template("context.html", c="view-c")

    @app.route("/plain")
    def plain():
        return render_template("context.html")

    app.register_blueprint(bp, url_prefix="/bp")
    client = app.test_client()
    assert client.get("/bp/ctx").data.decode() == "app-a|bp-b|view-c"
    assert calls == ["app", "bp"]
    assert client.get("/plain").data.decode() == "app-a|app-b|app-c"  # no blueprint processor


def test_app_context_processor_from_blueprint(bp_app: Erlen) -> None:
    bp = Blueprint("other", __name__)

    @bp.app_context_processor
    def everywhere():
        return {"a": "everywhere"}

    bp_app.register_blueprint(bp)
    with bp_app.test_request_context("/"):
        assert render_template("context.html") == "everywhere||"


def test_nested_blueprint_processors_outer_to_inner(app: Erlen) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)

    @parent.context_processor
    def parent_values():
        return {"a": "parent", "b": "parent"}

    @child.context_processor
    def child_values():
        return {"b": "child"}

    @child.route("/x")
    def x():
        return render_template("context.html")

    parent.register_blueprint(child, url_prefix="/child")
    app.register_blueprint(parent, url_prefix="/parent")
    assert app.test_client().get("/parent/child/x").data.decode() == "parent|child|"


def test_update_template_context_direct(app: Erlen) -> None:
    app.template_context_processors[None].append(lambda: {"x": 1, "y": 2})
    with app.app_context():
        context = {"y": "mine"}
        app.update_template_context(context)
    assert context["x"] == 1 and context["y"] == "mine" and "g" in context


def test_async_context_processor(app: Erlen) -> None:
    @app.context_processor
    async def later():
        return {"a": "async"}

    with app.app_context():
        assert render_template("context.html", b="B") == "async|B|"


# -- filters, tests, globals registered on the app --------------------------------------------


def test_template_filter_test_global(app: Erlen) -> None:
    @app.template_filter()
    def reverse(s):
        return s[::-1]

    @app.template_filter("double")
    def twice(s):
        return s * 2

    @app.template_test()
    def boolean(v):
        return isinstance(v, bool)

    @app.template_global()
    def answer():
        return 42

    app.add_template_filter(str.upper, "up")
    assert app.jinja_env.filters["reverse"] is reverse
    assert app.jinja_env.tests["boolean"] is boolean
    assert app.jinja_env.globals["answer"] is answer
    with app.app_context():
        rv = render_template_string(
            "{{ 'abc'|reverse }} {{ 'ab'|double }} {{ true is boolean }} {{ answer() }} {{ 'q'|up }}"
        )
    assert rv == "cba abab True 42 Q"


def test_blueprint_filters(app: Erlen) -> None:
    bp = Blueprint("f", __name__)

    @bp.app_template_filter()
    def exclaim(s):
        return s + "!"

    app.register_blueprint(bp)
    with app.app_context():
        assert render_template_string("{{ 'hi'|exclaim }}") == "hi!"


def test_jinja_options_and_environment_class() -> None:
    class MyApp(Erlen):
        jinja_options = {"trim_blocks": True, "extensions": ["jinja2.ext.do"]}

    app = MyApp(__name__, root_path=str(TESTS), template_folder="fixtures/templates")
    assert isinstance(app.jinja_env, templating.Environment)
    assert app.jinja_env.app is app
    assert app.jinja_env.trim_blocks is True
    with app.app_context():
        assert render_template_string("{% set l = [] %}{% do l.append(1) %}{{ l }}") == "[1]"


# -- blueprint template folders ---------------------------------------------------------------


def test_blueprint_template_folder(bp_app: Erlen) -> None:
    client = bp_app.test_client()
    assert client.get("/bp/only").data == b"only in blueprint: bp view"
    # The application's folder comes first, even for a blueprint's view.
    assert client.get("/bp/shared").data == b"app version"


def test_list_templates(bp_app: Erlen) -> None:
    names = bp_app.jinja_env.list_templates()
    assert "hello.html" in names
    assert "only_bp.html" in names
    assert "nested/inner.html" in names
    assert names.count("shared.html") == 1


def test_loader_order_is_registration_order(app: Erlen, tmp_path: Path) -> None:
    for name in ("first", "second"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "which.txt").write_text(name)
        app.register_blueprint(Blueprint(name, __name__, template_folder=str(folder)))
    with app.app_context():
        assert render_template("which.txt") == "first"


def test_explain_template_loading(bp_app: Erlen, caplog: pytest.LogCaptureFixture) -> None:
    bp_app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    with caplog.at_level(logging.INFO, logger=bp_app.logger.name):
        with bp_app.test_request_context("/bp/shared"):
            assert render_template("shared.html") == "app version"
            with pytest.raises(jinja2.TemplateNotFound):
                render_template("nowhere.html")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Locating template 'shared.html'" in text
    assert "application 'test_templating'" in text
    assert "blueprint 'bp'" in text
    assert "Warning: multiple loaders returned a match" in text
    assert "Error: the template could not be found." in text
    assert "'bp'" in text


# -- auto reload ------------------------------------------------------------------------------


def _write(path: Path, text: str, bump: float) -> None:
    path.write_text(text)
    stamp = time.time() + bump  # NOTE: filesystems with coarse mtimes need a visible change
    import os

    os.utime(path, (stamp, stamp))


@pytest.mark.parametrize(
    ("auto_reload", "debug", "reloads"),
    [(True, False, True), (False, True, False), (None, True, True), (None, False, False)],
)
def test_templates_auto_reload(
    tmp_path: Path, auto_reload: bool | None, debug: bool, reloads: bool
) -> None:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.txt"
    _write(page, "one", 0)
    app = Erlen(__name__, root_path=str(tmp_path))
    app.config["TEMPLATES_AUTO_RELOAD"] = auto_reload
    app.debug = debug
    assert app.jinja_env.auto_reload is reloads
    with app.app_context():
        assert render_template("page.txt") == "one"
        _write(page, "two", 10)
        assert render_template("page.txt") == ("two" if reloads else "one")


def test_debug_toggle_updates_auto_reload(app: Erlen) -> None:
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True


# -- signals ----------------------------------------------------------------------------------


def test_signals_with_receivers(app: Erlen) -> None:
    events: list[tuple[str, object, str | None, dict]] = []

    def before(sender, template, context, **extra):
        events.append(("before", sender, template.name, dict(context)))

    def after(sender, template, context, **extra):
        events.append(("after", sender, template.name, dict(context)))

    before_render_template.connect(before, app)
    template_rendered.connect(after, app)
    try:
        with app.test_request_context("/"):
            render_template("hello.html", name="sig")
            render_template_string("{{ name }}", name="str")
    finally:
        before_render_template.disconnect(before, app)
        template_rendered.disconnect(after, app)
    assert [(e[0], e[2]) for e in events] == [
        ("before", "hello.html"),
        ("after", "hello.html"),
        ("before", None),
        ("after", None),
    ]
    assert all(e[1] is app for e in events)
    assert events[0][3]["name"] == "sig"
    assert "request" in events[0][3] and "g" in events[0][3]


def test_before_render_can_change_context(app: Erlen) -> None:
    def tweak(sender, template, context, **extra):
        context["name"] = "changed"

    before_render_template.connect(tweak, app)
    try:
        with app.app_context():
            assert render_template("hello.html", name="x") == "<h1>Hello changed!</h1>"
    finally:
        before_render_template.disconnect(tweak, app)


# -- streaming --------------------------------------------------------------------------------


def test_stream_template_yields_chunks(app: Erlen) -> None:
    rendered: list[str] = []

    def after(sender, template, **extra):
        rendered.append(template.name)

    template_rendered.connect(after, app)
    try:
        with app.app_context():
            chunks = stream_template("stream.html", items=["a", "<b>", "c"])
            assert rendered == []  # not rendered until consumed
            parts = list(chunks)
            assert rendered == ["stream.html"]
            assert len(parts) > 1
            assert "".join(parts) == "<li>a</li><li>&lt;b&gt;</li><li>c</li>"
            assert "".join(stream_template_string("{{ 1 }}{{ 2 }}")) == "12"
    finally:
        template_rendered.disconnect(after, app)


def test_stream_template_in_a_view_keeps_request_context(app: Erlen) -> None:
    @app.route("/stream")
    def stream():
        return app.response_class(
            stream_template_string("{% for i in range(3) %}{{ request.args['x'] }}{% endfor %}")
        )

    rv = app.test_client().get("/stream?x=z")
    assert rv.data == b"zzz"


# -- get_template_attribute -------------------------------------------------------------------


def test_get_template_attribute(app: Erlen) -> None:
    with app.app_context():
        hello = get_template_attribute("_macros.html", "hello")
        assert hello("<World>") == "Hello &lt;World&gt;!"
        assert get_template_attribute("_macros.html", "answer") == 42
        assert templating.get_template_attribute("_macros.html", "answer") == 42
