"""Blueprints as Flask 3.1 documents them: routes under a prefix and a name, nesting, scoped and
app-wide hooks, error handlers, static files, templates, CLI groups.

Where the order of events matters, the same app is built with Flask (installed as a test
dependency) and with erlen, and both must give the same answer: Flask is the oracle.
"""

from __future__ import annotations

import os

import click
import flask
import pytest

import erlen
import erlen.views
from erlen import Blueprint, abort, render_template, render_template_string, request, url_for
from erlen.blueprints import BlueprintSetupState
from erlen.exceptions import HTTPException, InternalServerError, NotFound

# Every test here runs over WSGI and over ASGI (see conftest.py).
pytestmark = pytest.mark.usefixtures("both_protocols")

HERE = os.path.dirname(__file__)


def new_app(mod, root_path: str = HERE, **kwargs):
    """An app of ``mod`` (``flask`` or ``erlen``), configured as the ``app`` fixture is."""
    app = mod.Flask("bp_oracle_app", root_path=root_path, **kwargs)
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


def oracle(build):
    """``build(mod)`` with Flask, then with erlen; returns both results."""
    return build(flask), build(erlen)


def rules(app) -> list[tuple[str, str]]:
    return sorted((r.rule, r.endpoint) for r in app.url_map.iter_rules() if r.endpoint != "static")


# -- routes ---------------------------------------------------------------------------------


def test_route_and_method_shortcuts(app, client):
    bp = Blueprint("bp", __name__)

    @bp.route("/r", methods=["GET", "POST"])
    def r():
        return f"r {request.method}"

    @bp.get("/g")
    def g():
        return "g"

    @bp.post("/p")
    def p():
        return "p"

    @bp.put("/pu")
    def pu():
        return "pu"

    @bp.delete("/d")
    def d():
        return "d"

    @bp.patch("/pa")
    def pa():
        return "pa"

    app.register_blueprint(bp)
    assert client.get("/r").text == "r GET"
    assert client.post("/r").text == "r POST"
    assert client.get("/g").text == "g"
    assert client.post("/g").status_code == 405
    assert client.post("/p").text == "p"
    assert client.get("/p").status_code == 405
    assert client.put("/pu").text == "pu"
    assert client.delete("/d").text == "d"
    assert client.patch("/pa").text == "pa"
    assert {r.endpoint for r in app.url_map.iter_rules()} >= {
        "bp.r",
        "bp.g",
        "bp.p",
        "bp.pu",
        "bp.d",
        "bp.pa",
    }
    with pytest.raises(TypeError, match="Use the 'route' decorator"):
        bp.get("/x", methods=["POST"])


def test_add_url_rule_and_endpoint_name(app, client):
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    def view():
        return "view"

    def other():
        return "other"

    bp.add_url_rule("/a", view_func=view)
    bp.add_url_rule("/b", "custom", other, methods=["POST"])
    bp.add_url_rule("/c", endpoint="c_only")

    @bp.route("/d", endpoint="named")
    def d():
        return "d"

    app.register_blueprint(bp)
    assert rules(app) == [
        ("/bp/a", "bp.view"),
        ("/bp/b", "bp.custom"),
        ("/bp/c", "bp.c_only"),
        ("/bp/d", "bp.named"),
    ]
    assert app.view_functions["bp.view"] is view
    assert app.view_functions["bp.custom"] is other
    assert "bp.c_only" not in app.view_functions
    assert client.get("/bp/a").text == "view"
    assert client.post("/bp/b").text == "other"
    assert client.get("/bp/d").text == "d"
    with app.test_request_context():
        assert url_for("bp.custom") == "/bp/b"
        assert url_for("bp.named") == "/bp/d"


def test_url_prefix_on_blueprint_and_registration_wins(app, client):
    bp = Blueprint("bp", __name__, url_prefix="/own")

    @bp.route("/x")
    def x():
        return "x"

    app.register_blueprint(bp)
    app.register_blueprint(bp, url_prefix="/given", name="again")
    assert client.get("/own/x").text == "x"
    assert client.get("/given/x").text == "x"
    assert rules(app) == [("/given/x", "again.x"), ("/own/x", "bp.x")]


@pytest.mark.parametrize(
    ("prefix", "rule", "expected"),
    [
        ("/a", "/b", "/a/b"),
        ("/a/", "/b", "/a/b"),
        ("/a", "b", "/a/b"),
        ("/a/", "b", "/a/b"),
        ("/a", "/", "/a/"),
        ("/a/", "/", "/a/"),
        ("/a", "", "/a"),
        ("/a/", "", "/a/"),
        ("", "/b", "/b"),
        ("/", "/b", "/b"),
        (None, "/b", "/b"),
    ],
)
def test_prefix_joining_matches_flask(prefix, rule, expected):
    def build(mod):
        app = new_app(mod)
        bp = mod.Blueprint("bp", __name__, url_prefix=prefix)
        bp.add_url_rule(rule, "v", lambda: "ok")
        app.register_blueprint(bp)
        return rules(app)

    flask_rules, erlen_rules = oracle(build)
    assert erlen_rules == flask_rules == [(expected, "bp.v")]


def test_empty_rule_under_prefix_serves_the_prefix(app, client):
    bp = Blueprint("bp", __name__, url_prefix="/items")

    @bp.route("")
    def index():
        return "index"

    @bp.route("/<int:n>")
    def item(n):
        return f"item {n}"

    app.register_blueprint(bp)
    assert client.get("/items").text == "index"
    assert client.get("/items/3").text == "item 3"
    with app.test_request_context():
        assert url_for("bp.index") == "/items"


def test_url_defaults_on_blueprint_and_at_registration(app, client):
    bp = Blueprint("bp", __name__, url_defaults={"lang": "en", "page": 1})

    @bp.route("/show")
    def show(lang, page, size=None):
        return f"{lang} {page} {size}"

    @bp.route("/sized", defaults={"size": 10, "page": 2})
    def sized(lang, page, size):
        return f"{lang} {page} {size}"

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="fr", url_prefix="/fr", url_defaults={"lang": "fr"})
    assert client.get("/show").text == "en 1 None"
    assert client.get("/sized").text == "en 2 10"
    # registration's defaults update the blueprint's; the route's own defaults win over both
    assert client.get("/fr/show").text == "fr 1 None"
    assert client.get("/fr/sized").text == "fr 2 10"
    rule = next(app.url_map.iter_rules("fr.sized"))
    assert rule.defaults == {"lang": "fr", "page": 2, "size": 10}


def test_url_defaults_match_flask():
    def build(mod):
        app = new_app(mod)
        bp = mod.Blueprint("bp", __name__, url_defaults={"a": 1, "b": 2})
        bp.add_url_rule("/x", "x", lambda **kw: "", defaults={"b": 3, "c": 4})
        bp.add_url_rule("/y", "y", lambda **kw: "")
        app.register_blueprint(bp, url_defaults={"a": 10})
        return sorted(
            (r.endpoint, sorted((r.defaults or {}).items()))
            for r in app.url_map.iter_rules()
            if r.endpoint != "static"
        )

    flask_defaults, erlen_defaults = oracle(build)
    assert (
        erlen_defaults
        == flask_defaults
        == [
            ("bp.x", [("a", 10), ("b", 3), ("c", 4)]),
            ("bp.y", [("a", 10), ("b", 2)]),
        ]
    )


def test_subdomain_recorded_on_rules():
    def build(mod):
        app = new_app(mod)
        app.config["SERVER_NAME"] = "example.test"
        own = mod.Blueprint("own", __name__, subdomain="api")
        own.add_url_rule("/o", "o", lambda: "o")
        given = mod.Blueprint("given", __name__, subdomain="ignored")
        given.add_url_rule("/g", "g", lambda: "g")
        fixed = mod.Blueprint("fixed", __name__, subdomain="api")
        fixed.add_url_rule("/f", "f", lambda: "f", subdomain="rule")
        parent = mod.Blueprint("parent", __name__, subdomain="p")
        child = mod.Blueprint("child", __name__, subdomain="c")
        child.add_url_rule("/c", "c", lambda: "c")
        parent.register_blueprint(child)
        plain = mod.Blueprint("plain", __name__)
        plain.add_url_rule("/n", "n", lambda: "n")
        app.register_blueprint(own)
        app.register_blueprint(given, subdomain="admin")
        app.register_blueprint(fixed)
        app.register_blueprint(parent)
        app.register_blueprint(plain)
        return sorted(
            (r.endpoint, r.subdomain or "")
            for r in app.url_map.iter_rules()
            if r.endpoint != "static"
        )

    flask_subdomains, erlen_subdomains = oracle(build)
    assert (
        erlen_subdomains
        == flask_subdomains
        == [
            ("fixed.f", "rule"),
            ("given.g", "admin"),
            ("own.o", "api"),
            ("parent.child.c", "c.p"),
            ("plain.n", ""),
        ]
    )


def test_subdomain_routes_dispatch_matches_flask():
    def build(mod):
        out = []
        for subdomain_matching in (False, True):
            app = new_app(mod, subdomain_matching=subdomain_matching)
            app.config["SERVER_NAME"] = "example.test"
            bp = mod.Blueprint("api", __name__, subdomain="api")
            bp.add_url_rule("/", "index", lambda: "api index")
            app.register_blueprint(bp)
            client = app.test_client()
            out.append(client.get("/", base_url="http://api.example.test/").status_code)
            out.append(client.get("/", base_url="http://example.test/").status_code)
            with app.app_context():
                out.append(mod.url_for("api.index"))
        return out

    flask_result, erlen_result = oracle(build)
    assert (
        erlen_result
        == flask_result
        == [
            404,
            404,
            "http://api.example.test/",
            200,
            404,
            "http://api.example.test/",
        ]
    )


# -- nesting and names ----------------------------------------------------------------------


def test_nested_blueprints_three_levels(app, client):
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child/")
    grandchild = Blueprint("grandchild", __name__, url_prefix="grandchild")

    @parent.route("/")
    def p():
        return f"p {request.blueprint} {request.blueprints}"

    @child.route("/")
    def c():
        return f"c {request.blueprint} {request.blueprints}"

    @grandchild.route("/")
    def gc():
        return f"gc {request.blueprint} {request.blueprints}"

    child.register_blueprint(grandchild)
    parent.register_blueprint(child)
    app.register_blueprint(parent)

    assert rules(app) == [
        ("/parent/", "parent.p"),
        ("/parent/child/", "parent.child.c"),
        ("/parent/child/grandchild/", "parent.child.grandchild.gc"),
    ]
    assert set(app.blueprints) == {"parent", "parent.child", "parent.child.grandchild"}
    assert app.blueprints["parent.child.grandchild"] is grandchild
    assert client.get("/parent/").text == "p parent ['parent']"
    assert client.get("/parent/child/").text == "c parent.child ['parent.child', 'parent']"
    assert client.get("/parent/child/grandchild/").text == (
        "gc parent.child.grandchild ['parent.child.grandchild', 'parent.child', 'parent']"
    )


def test_nested_prefixes_match_flask():
    cases = [
        ("/parent", "/child"),
        ("/parent/", "/child/"),
        ("/parent", None),
        (None, "/child"),
        (None, None),
        ("/parent", "child"),
    ]

    def build(mod):
        out = []
        for parent_prefix, child_prefix in cases:
            app = new_app(mod)
            parent = mod.Blueprint("parent", __name__, url_prefix=parent_prefix)
            child = mod.Blueprint("child", __name__, url_prefix=child_prefix)
            child.add_url_rule("/v", "v", lambda: "")
            if parent_prefix or child_prefix:
                child.add_url_rule("", "e", lambda: "")
            parent.register_blueprint(child)
            app.register_blueprint(parent)
            out.append(rules(app))
        # registration options at every level: the registration's prefix wins
        app = new_app(mod)
        parent = mod.Blueprint("parent", __name__, url_prefix="/p_own")
        child = mod.Blueprint("child", __name__, url_prefix="/c_own")
        child.add_url_rule("/v", "v", lambda: "")
        parent.register_blueprint(child, url_prefix="/c_given")
        app.register_blueprint(parent, url_prefix="/p_given")
        out.append(rules(app))
        return out

    flask_rules, erlen_rules = oracle(build)
    assert erlen_rules == flask_rules
    assert erlen_rules[0] == [
        ("/parent/child", "parent.child.e"),
        ("/parent/child/v", "parent.child.v"),
    ]
    assert erlen_rules[-1] == [("/p_given/c_given/v", "parent.child.v")]


def test_child_registered_in_two_parents(app, client):
    child = Blueprint("child", __name__, url_prefix="/c")

    @child.route("/")
    def index():
        return request.blueprint

    a = Blueprint("a", __name__, url_prefix="/a")
    b = Blueprint("b", __name__, url_prefix="/b")
    a.register_blueprint(child)
    b.register_blueprint(child)
    app.register_blueprint(a)
    app.register_blueprint(b)
    assert client.get("/a/c/").text == "a.child"
    assert client.get("/b/c/").text == "b.child"


def test_register_twice_with_name(app, client):
    bp = Blueprint("bp", __name__)
    seen = []

    @bp.route("/")
    def index():
        return f"{request.blueprint} {url_for('.index')}"

    @bp.before_request
    def before():
        seen.append(request.blueprint)

    app.register_blueprint(bp, url_prefix="/one")
    app.register_blueprint(bp, url_prefix="/two", name="two")
    assert app.blueprints == {"bp": bp, "two": bp}
    assert rules(app) == [("/one/", "bp.index"), ("/two/", "two.index")]
    assert client.get("/one/").text == "bp /one/"
    assert client.get("/two/").text == "two /two/"
    assert seen == ["bp", "two"]


def test_register_twice_without_name_raises_flask_message():
    def build(mod):
        messages = []
        app = new_app(mod)
        bp = mod.Blueprint("bp", __name__)
        app.register_blueprint(bp)
        with pytest.raises(ValueError) as info:
            app.register_blueprint(bp)
        messages.append(str(info.value))
        with pytest.raises(ValueError) as info:
            app.register_blueprint(mod.Blueprint("bp", __name__))
        messages.append(str(info.value))
        # nested: the message names the full dotted name too
        parent = mod.Blueprint("parent", __name__)
        parent.register_blueprint(mod.Blueprint("child", __name__))
        parent.register_blueprint(mod.Blueprint("child", __name__))
        with pytest.raises(ValueError) as info:
            app.register_blueprint(parent)
        messages.append(str(info.value))
        return messages

    flask_messages, erlen_messages = oracle(build)
    assert erlen_messages == flask_messages
    assert erlen_messages[0] == (
        "The name 'bp' is already registered for this blueprint. Use 'name=' to provide a unique name."
    )
    assert "a different blueprint" in erlen_messages[1]
    assert "'parent.child'" in erlen_messages[2]


def test_blueprint_cannot_register_itself():
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="Cannot register a blueprint on itself"):
        bp.register_blueprint(bp)


def test_dots_and_empty_names_rejected():
    with pytest.raises(ValueError, match="'name' may not contain a dot"):
        Blueprint("a.b", __name__)
    with pytest.raises(ValueError, match="'name' may not be empty"):
        Blueprint("", __name__)
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.add_url_rule("/x", "a.b", lambda: "")
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.route("/x", endpoint="a.b")(lambda: "")

    def view():
        return ""

    view.__name__ = "a.b"
    with pytest.raises(ValueError, match="'view_func' name may not contain a dot"):
        bp.add_url_rule("/y", view_func=view)
    assert bp.deferred_functions == []


def test_setup_after_registration_raises(app):
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    calls = [
        lambda: bp.route("/late")(lambda: ""),
        lambda: bp.add_url_rule("/late", "late", lambda: ""),
        lambda: bp.before_request(lambda: None),
        lambda: bp.after_request(lambda r: r),
        lambda: bp.teardown_request(lambda e: None),
        lambda: bp.errorhandler(404)(lambda e: ""),
        lambda: bp.context_processor(lambda: {}),
        lambda: bp.url_defaults(lambda e, v: None),
        lambda: bp.url_value_preprocessor(lambda e, v: None),
        lambda: bp.before_app_request(lambda: None),
        lambda: bp.app_errorhandler(500)(lambda e: ""),
        lambda: bp.app_template_filter()(lambda s: s),
        lambda: bp.record(lambda s: None),
        lambda: bp.record_once(lambda s: None),
        lambda: bp.register_blueprint(Blueprint("late", __name__)),
    ]
    for call in calls:
        with pytest.raises(AssertionError, match="can no longer be called on the blueprint 'bp'"):
            call()


def test_setup_method_name_in_message_matches_flask():
    def build(mod):
        app = new_app(mod)
        bp = mod.Blueprint("bp", __name__)
        app.register_blueprint(bp)
        out = []
        for call in (
            lambda: bp.add_url_rule("/late", "late", lambda: ""),
            lambda: bp.before_request(lambda: None),
            lambda: bp.record(lambda s: None),
            lambda: bp.register_blueprint(mod.Blueprint("late", __name__)),
        ):
            with pytest.raises(AssertionError) as info:
                call()
            out.append(str(info.value))
        return out

    flask_messages, erlen_messages = oracle(build)
    assert erlen_messages == flask_messages


# -- scoped and app-wide hooks --------------------------------------------------------------


def test_blueprint_hooks_run_only_for_its_requests(app, client):
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    other = Blueprint("other", __name__, url_prefix="/other")
    log = []

    @bp.before_request
    def before():
        log.append("before")

    @bp.after_request
    def after(response):
        log.append("after")
        response.headers["X-BP"] = "yes"
        return response

    @bp.teardown_request
    def teardown(exc):
        log.append(f"teardown {exc!r}")

    @bp.url_value_preprocessor
    def pull(endpoint, values):
        log.append(f"pull {endpoint} {values}")

    @bp.url_defaults
    def add(endpoint, values):
        values.setdefault("n", 7)

    @bp.context_processor
    def ctx():
        return {"who": "bp"}

    @bp.route("/<int:n>")
    def bp_view(n):
        return render_template_string("{{ who }} {{ n }} " + url_for(".bp_view"), n=n)

    @other.route("/")
    def other_view():
        return render_template_string("{{ who|default('nobody') }}")

    @app.route("/")
    def app_view():
        return render_template_string("{{ who|default('nobody') }}")

    app.register_blueprint(bp)
    app.register_blueprint(other)

    rv = client.get("/")
    assert rv.text == "nobody"
    assert "X-BP" not in rv.headers
    rv = client.get("/other/")
    assert rv.text == "nobody"
    assert "X-BP" not in rv.headers
    assert log == []

    rv = client.get("/bp/3")
    assert rv.text == "bp 3 /bp/7"
    assert rv.headers["X-BP"] == "yes"
    assert log == ["pull bp.bp_view {'n': 3}", "before", "after", "teardown None"]
    with app.test_request_context():
        # the blueprint's url_defaults apply to its endpoints only
        assert url_for("bp.bp_view") == "/bp/7"
        assert url_for("app_view") == "/"


def test_app_wide_hooks_from_a_blueprint_run_for_every_request(app, client):
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    log = []

    @bp.before_app_request
    def before():
        log.append(("before", request.endpoint))

    @bp.after_app_request
    def after(response):
        log.append(("after", request.endpoint))
        response.headers["X-App"] = "yes"
        return response

    @bp.teardown_app_request
    def teardown(exc):
        log.append(("teardown", request.endpoint))

    @bp.app_url_value_preprocessor
    def pull(endpoint, values):
        if values and "lang" in values:
            request.environ["lang"] = values.pop("lang")

    @bp.app_url_defaults
    def add(endpoint, values):
        if endpoint == "page":
            values.setdefault("lang", "de")

    @bp.app_context_processor
    def ctx():
        return {"who": "everyone"}

    @bp.app_errorhandler(418)
    def teapot(e):
        return "short and stout", 418

    @bp.app_template_filter()
    def shout(s):
        return s.upper() + "!"

    @bp.app_template_filter("whisper")
    def whisper_filter(s):
        return s.lower()

    @bp.app_template_test()
    def even(n):
        return n % 2 == 0

    @bp.app_template_test("odd_number")
    def odd(n):
        return n % 2 == 1

    @bp.app_template_global()
    def answer():
        return 42

    @bp.app_template_global("pi")
    def pi_global():
        return 3

    bp.add_app_template_filter(lambda s: s[::-1], name="rev")
    bp.add_app_template_test(lambda n: n == 0, name="zero")
    bp.add_app_template_global(lambda: "g", name="gee")

    def reverse_named(s):
        return "named"

    bp.add_app_template_filter(reverse_named)

    @bp.route("/")
    def bp_view():
        return "bp"

    @app.route("/<lang>/page")
    def page():
        return f"{request.environ['lang']} {url_for('page')}"

    @app.route("/teapot")
    def teapot_view():
        abort(418)

    @app.route("/tpl")
    def tpl():
        return render_template_string(
            "{{ who }} {{ 'a'|shout }} {{ 'B'|whisper }} {{ 'ab'|rev }} {{ 'x'|reverse_named }}"
            " {{ 2 is even }} {{ 3 is odd_number }} {{ 0 is zero }}"
            " {{ answer() }} {{ pi() }} {{ gee() }}"
        )

    app.register_blueprint(bp)
    assert client.get("/fr/page").text == "fr /de/page"
    assert client.get("/teapot").text == "short and stout"
    assert client.get("/tpl").text == "everyone A! b ba named True True True 42 3 g"
    log.clear()
    rv = client.get("/tpl")
    assert rv.headers["X-App"] == "yes"
    assert log == [("before", "tpl"), ("after", "tpl"), ("teardown", "tpl")]
    log.clear()
    client.get("/bp/")
    assert log == [("before", "bp.bp_view"), ("after", "bp.bp_view"), ("teardown", "bp.bp_view")]
    assert app.jinja_env.filters["shout"] is shout
    assert app.jinja_env.tests["odd_number"] is odd
    assert app.jinja_env.globals["answer"] is answer


def test_app_hooks_from_a_blueprint_registered_once_only(app, client):
    bp = Blueprint("bp", __name__)
    count = []

    @bp.before_app_request
    def before():
        count.append(1)

    @bp.before_request
    def scoped():
        count.append(2)

    @bp.route("/")
    def index():
        return ""

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again", url_prefix="/again")
    client.get("/")
    assert count == [1, 2]
    count.clear()
    client.get("/again/")
    assert count == [1, 2]


def test_before_request_return_value_short_circuits(app, client):
    bp = Blueprint("bp", __name__)
    log = []

    @bp.before_request
    def deny():
        return "denied", 403

    @bp.after_request
    def after(response):
        log.append(response.status_code)
        return response

    @bp.route("/")
    def index():
        log.append("view")
        return "view"

    app.register_blueprint(bp)
    rv = client.get("/")
    assert rv.status_code == 403
    assert rv.text == "denied"
    assert log == [403]


# -- order, with Flask as the oracle --------------------------------------------------------


def _ordered_app(mod, log):
    """app → parent → child → grandchild, every level with every kind of hook twice."""
    app = new_app(mod)
    parent = mod.Blueprint("parent", __name__, url_prefix="/p")
    child = mod.Blueprint("child", __name__, url_prefix="/c")
    grandchild = mod.Blueprint("grandchild", __name__, url_prefix="/g")
    for name, scaffold in (
        ("app", app),
        ("parent", parent),
        ("child", child),
        ("grandchild", grandchild),
    ):
        for i in (1, 2):
            tag = f"{name}{i}"

            def before(tag=tag):
                log.append(f"before {tag}")

            def after(response, tag=tag):
                log.append(f"after {tag}")
                return response

            def teardown(exc, tag=tag):
                log.append(f"teardown {tag}")

            def preprocess(endpoint, values, tag=tag):
                log.append(f"preprocess {tag}")

            def defaults(endpoint, values, tag=tag):
                log.append(f"defaults {tag}")

            def context(tag=tag):
                log.append(f"context {tag}")
                return {"last": tag}

            scaffold.before_request(before)
            scaffold.after_request(after)
            scaffold.teardown_request(teardown)
            scaffold.url_value_preprocessor(preprocess)
            scaffold.url_defaults(defaults)
            scaffold.context_processor(context)
        # a blueprint's app-wide forms join the app's own, in registration order
        if scaffold is not app:

            def app_before(tag=name):
                log.append(f"app-before from {tag}")

            def app_after(response, tag=name):
                log.append(f"app-after from {tag}")
                return response

            def app_teardown(exc, tag=name):
                log.append(f"app-teardown from {tag}")

            scaffold.before_app_request(app_before)
            scaffold.after_app_request(app_after)
            scaffold.teardown_app_request(app_teardown)

    def view():
        log.append("view")
        mod.url_for(".view")
        return mod.render_template_string("{{ last }}")

    for scaffold in (app, parent, child, grandchild):
        scaffold.add_url_rule("/", "view", view)
    child.register_blueprint(grandchild)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    return app


@pytest.mark.parametrize("path", ["/", "/p/", "/p/c/", "/p/c/g/"])
def test_hook_order_matches_flask(path):
    def build(mod):
        log: list[str] = []
        app = _ordered_app(mod, log)
        with app.test_client() as client:
            rv = client.get(path)
            log.append(f"rendered {rv.text}")
        return log

    flask_log, erlen_log = oracle(build)
    assert erlen_log == flask_log


def test_hook_order_for_the_innermost_blueprint():
    log: list[str] = []
    app = _ordered_app(erlen, log)
    app.test_client().get("/p/c/g/")
    befores = [x for x in log if x.startswith("before")]
    afters = [x for x in log if x.startswith("after")]
    teardowns = [x for x in log if x.startswith("teardown")]
    assert befores == [
        "before app1",
        "before app2",
        "before parent1",
        "before parent2",
        "before child1",
        "before child2",
        "before grandchild1",
        "before grandchild2",
    ]
    assert afters == [
        "after grandchild2",
        "after grandchild1",
        "after child2",
        "after child1",
        "after parent2",
        "after parent1",
        "after app2",
        "after app1",
    ]
    assert teardowns == [
        "teardown grandchild2",
        "teardown grandchild1",
        "teardown child2",
        "teardown child1",
        "teardown parent2",
        "teardown parent1",
        "teardown app2",
        "teardown app1",
    ]


def _error_app(mod, handlers):
    """app → parent → child, with handlers given as (level, key) pairs; each view raises."""
    app = new_app(mod)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    parent = mod.Blueprint("parent", __name__, url_prefix="/p")
    child = mod.Blueprint("child", __name__, url_prefix="/c")
    levels = {"app": app, "parent": parent, "child": child}
    for level, key in handlers:
        scaffold = levels[level]

        def handler(e, tag=f"{level}:{key}"):
            return f"handled by {tag}", getattr(e, "code", None) or 500

        scaffold.register_error_handler(_error_key(mod, key), handler)

    def view(kind):
        if kind == "notfound":
            mod.abort(404)
        if kind == "lookup":
            raise KeyError("k")
        if kind == "value":
            raise ValueError("v")
        return "ok"

    for scaffold in levels.values():
        scaffold.add_url_rule("/<kind>", "view", view)
        scaffold.add_url_rule("/slash/", "slash", lambda: "slash")
        scaffold.add_url_rule("/post/only", "post_only", lambda: "post", methods=["POST"])
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    return app


def _error_key(mod, key):
    if key == "404":
        return 404
    if key == "500":
        return 500
    exceptions = __import__(
        "werkzeug.exceptions" if mod is flask else "erlen.exceptions", fromlist=["x"]
    )
    return {
        "NotFound": exceptions.NotFound,
        "HTTPException": exceptions.HTTPException,
        "Exception": Exception,
        "LookupError": LookupError,
        "KeyError": KeyError,
    }[key]


ERROR_CASES = [
    [("app", "404"), ("parent", "404"), ("child", "404")],
    [("app", "404"), ("parent", "404")],
    [("app", "404")],
    [("app", "HTTPException"), ("child", "HTTPException")],
    [("app", "404"), ("child", "HTTPException")],
    [("app", "HTTPException"), ("child", "404")],
    [("parent", "Exception"), ("app", "404")],
    [("parent", "NotFound"), ("child", "HTTPException")],
    [("app", "KeyError"), ("parent", "LookupError"), ("child", "Exception")],
    [("app", "KeyError"), ("child", "LookupError")],
    [("parent", "KeyError"), ("child", "Exception")],
    [("app", "500"), ("child", "Exception")],
    [("app", "500"), ("parent", "500")],
    [("app", "Exception")],
    [],
]


@pytest.mark.parametrize("handlers", ERROR_CASES)
def test_error_handler_choice_matches_flask(handlers):
    def build(mod):
        app = _error_app(mod, handlers)
        client = app.test_client()
        out = []
        for path in ("/", "/p/", "/p/c/"):
            for kind in ("notfound", "lookup", "value"):
                rv = client.get(f"{path}{kind}")
                text = rv.text if rv.text.startswith("handled") else "default"
                out.append((f"{path}{kind}", rv.status_code, text))
            # routing errors: a URL under the prefixes that no rule matches, a method the rule
            # does not allow, a redirect to the canonical slash
            for method, url in (
                ("GET", f"{path}no/such/page"),
                ("GET", f"{path}post/only"),
                ("GET", f"{path}slash"),
            ):
                rv = client.open(url, method=method)
                text = rv.text if rv.text.startswith("handled") else "default"
                out.append((url, rv.status_code, text, rv.headers.get("Location")))
        return out

    flask_result, erlen_result = oracle(build)
    assert erlen_result == flask_result


def test_innermost_error_handler_wins(app, client):
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    @app.errorhandler(404)
    def app_404(e):
        return "app 404", 404

    @parent.errorhandler(404)
    def parent_404(e):
        return "parent 404", 404

    @child.errorhandler(NotFound)
    def child_404(e):
        return "child 404", 404

    @parent.route("/gone")
    def parent_gone():
        abort(404)

    @child.route("/gone")
    def child_gone():
        abort(404)

    @app.route("/gone")
    def app_gone():
        abort(404)

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/gone").text == "app 404"
    assert client.get("/p/gone").text == "parent 404"
    assert client.get("/p/c/gone").text == "child 404"
    # routing 404s belong to no blueprint: the app's handler answers
    assert client.get("/p/c/missing").text == "app 404"
    assert client.get("/p/missing").text == "app 404"


def test_code_handler_beats_class_handler_at_any_level(app, client):
    bp = Blueprint("bp", __name__)

    @app.errorhandler(404)
    def app_404(e):
        return "app code", 404

    @bp.errorhandler(HTTPException)
    def bp_http(e):
        return "bp class", e.code

    @bp.route("/gone")
    def gone():
        abort(404)

    @bp.route("/teapot")
    def teapot():
        abort(418)

    app.register_blueprint(bp)
    assert client.get("/gone").text == "app code"
    assert client.get("/teapot").text == "bp class"


def test_blueprint_500_handler_for_unhandled_errors(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.errorhandler(500)
    def bp_500(e):
        assert isinstance(e, InternalServerError)
        return f"bp 500 {type(e.original_exception).__name__}", 500

    @app.errorhandler(500)
    def app_500(e):
        return "app 500", 500

    @bp.route("/boom")
    def boom():
        raise RuntimeError("boom")

    @app.route("/boom")
    def app_boom():
        raise RuntimeError("boom")

    app.register_blueprint(bp)
    assert client.get("/bp/boom").text == "bp 500 RuntimeError"
    assert client.get("/boom").text == "app 500"


# -- record and record_once -----------------------------------------------------------------


def test_record_and_record_once(app):
    bp = Blueprint("bp", __name__, url_prefix="/own", subdomain="sub", url_defaults={"a": 1})
    states: list[BlueprintSetupState] = []
    once: list[BlueprintSetupState] = []
    bp.record(states.append)
    bp.record_once(once.append)

    app.register_blueprint(bp, answer=42)
    app.register_blueprint(bp, name="second", url_prefix="/second", url_defaults={"b": 2})
    other = erlen.Erlen("other_app", root_path=HERE)
    other.register_blueprint(bp)

    assert [s.app for s in states] == [app, app, other]
    assert [s.first_registration for s in states] == [True, False, True]
    assert [s.url_prefix for s in states] == ["/own", "/second", "/own"]
    assert [s.name for s in states] == ["bp", "second", "bp"]
    assert [s.subdomain for s in states] == ["sub", "sub", "sub"]
    assert [s.url_defaults for s in states] == [{"a": 1}, {"a": 1, "b": 2}, {"a": 1}]
    assert states[0].options == {"answer": 42}
    assert states[0].blueprint is bp
    assert [(s.app, s.first_registration) for s in once] == [(app, True), (other, True)]


def test_record_state_add_url_rule(app, client):
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.record
    def setup(state):
        state.add_url_rule("/via-state", "via_state", lambda: f"state {state.name}")
        state.app.config["BP_SEEN"] = state.url_prefix

    app.register_blueprint(bp)
    assert client.get("/bp/via-state").text == "state bp"
    assert app.config["BP_SEEN"] == "/bp"
    assert rules(app) == [("/bp/via-state", "bp.via_state")]


def test_record_states_match_flask():
    def build(mod):
        seen = []

        def record(state):
            seen.append(
                (
                    "record",
                    state.name,
                    state.name_prefix,
                    state.url_prefix,
                    state.subdomain,
                    state.first_registration,
                    sorted(state.url_defaults.items()),
                )
            )

        def record_once(state):
            seen.append(("once", state.name, state.name_prefix, state.url_prefix))

        app = new_app(mod)
        parent = mod.Blueprint("parent", __name__, url_prefix="/p", subdomain="ps")
        child = mod.Blueprint("child", __name__, url_prefix="/c", url_defaults={"x": 1})
        for bp in (parent, child):
            bp.record(record)
            bp.record_once(record_once)
        parent.register_blueprint(child, url_defaults={"y": 2})
        parent.register_blueprint(child, name="alias", url_prefix="/alias")
        app.register_blueprint(parent)
        app.register_blueprint(parent, name="parent2", url_prefix="/p2")
        return seen

    flask_seen, erlen_seen = oracle(build)
    assert erlen_seen == flask_seen


# -- static files and templates -------------------------------------------------------------


def _folders(tmp_path):
    (tmp_path / "bp_static").mkdir()
    (tmp_path / "bp_static" / "style.css").write_text("body { color: red }")
    (tmp_path / "bp_templates").mkdir()
    (tmp_path / "bp_templates" / "only_bp.html").write_text("bp template {{ where }}")
    (tmp_path / "bp_templates" / "shared.html").write_text("from the blueprint")
    (tmp_path / "app_templates").mkdir()
    (tmp_path / "app_templates" / "shared.html").write_text("from the app")


def test_static_folder_served_under_prefix(tmp_path):
    _folders(tmp_path)
    app = erlen.Erlen("static_app", root_path=str(tmp_path), static_folder=None)
    app.config["TESTING"] = True
    bp = Blueprint(
        "bp", __name__, url_prefix="/bp", static_folder="bp_static", root_path=str(tmp_path)
    )
    custom = Blueprint(
        "custom",
        __name__,
        static_folder="bp_static",
        static_url_path="/assets",
        root_path=str(tmp_path),
    )
    app.register_blueprint(bp)
    app.register_blueprint(custom, url_prefix="/c")
    client = app.test_client()

    assert bp.static_folder == str(tmp_path / "bp_static")
    assert bp.static_url_path == "/bp_static"
    assert rules(app) == [
        ("/bp/bp_static/<path:filename>", "bp.static"),
        ("/c/assets/<path:filename>", "custom.static"),
    ]
    rv = client.get("/bp/bp_static/style.css")
    assert rv.status_code == 200
    assert rv.data == b"body { color: red }"
    assert rv.mimetype == "text/css"
    rv.close()
    rv = client.get("/c/assets/style.css")
    assert rv.data == b"body { color: red }"
    rv.close()
    assert client.get("/bp/bp_static/missing.css").status_code == 404
    with app.test_request_context():
        assert url_for("bp.static", filename="style.css") == "/bp/bp_static/style.css"
        assert url_for("custom.static", filename="style.css") == "/c/assets/style.css"


def test_static_rules_match_flask(tmp_path):
    _folders(tmp_path)

    def build(mod):
        app = new_app(mod, root_path=str(tmp_path))
        plain = mod.Blueprint("plain", __name__, static_folder="bp_static", root_path=str(tmp_path))
        prefixed = mod.Blueprint(
            "prefixed",
            __name__,
            url_prefix="/pre/",
            static_folder="bp_static/",
            root_path=str(tmp_path),
        )
        custom = mod.Blueprint(
            "custom",
            __name__,
            static_folder="bp_static",
            static_url_path="/s/",
            root_path=str(tmp_path),
        )
        none = mod.Blueprint("none", __name__, root_path=str(tmp_path))
        for bp in (plain, prefixed, custom, none):
            app.register_blueprint(bp)
        return sorted((r.rule, r.endpoint) for r in app.url_map.iter_rules())

    flask_rules, erlen_rules = oracle(build)
    assert erlen_rules == flask_rules


def test_blueprint_without_static_folder_has_no_static_route(app):
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    app.register_blueprint(bp)
    assert "bp.static" not in {r.endpoint for r in app.url_map.iter_rules()}
    assert not bp.has_static_folder
    with pytest.raises(RuntimeError, match="'static_folder' must be set"):
        bp.send_static_file("x")


def test_template_folder_lookup_app_first(tmp_path):
    _folders(tmp_path)
    app = erlen.Erlen("tpl_app", root_path=str(tmp_path), template_folder="app_templates")
    app.config["TESTING"] = True
    bp = Blueprint("bp", __name__, template_folder="bp_templates", root_path=str(tmp_path))

    @bp.route("/only")
    def only():
        return render_template("only_bp.html", where="bp view")

    @bp.route("/shared")
    def shared():
        return render_template("shared.html")

    @app.route("/from-app")
    def from_app():
        return render_template("only_bp.html", where="app view")

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/only").text == "bp template bp view"
    # app templates take priority over a blueprint's, even in the blueprint's view
    assert client.get("/shared").text == "from the app"
    # a blueprint's templates are visible to every view
    assert client.get("/from-app").text == "bp template app view"
    assert bp.jinja_loader is not None
    assert Blueprint("x", __name__).jinja_loader is None


def test_template_lookup_matches_flask(tmp_path):
    _folders(tmp_path)
    (tmp_path / "bp2_templates").mkdir()
    (tmp_path / "bp2_templates" / "only_bp.html").write_text("second blueprint")
    (tmp_path / "bp2_templates" / "bp2.html").write_text("bp2 only")

    def build(mod):
        app = new_app(mod, root_path=str(tmp_path), template_folder="app_templates")
        first = mod.Blueprint(
            "first", __name__, template_folder="bp_templates", root_path=str(tmp_path)
        )
        second = mod.Blueprint(
            "second", __name__, template_folder="bp2_templates", root_path=str(tmp_path)
        )
        app.register_blueprint(first)
        app.register_blueprint(second)
        with app.app_context():
            return [
                mod.render_template(name, where="x")
                for name in ("shared.html", "only_bp.html", "bp2.html")
            ]

    flask_result, erlen_result = oracle(build)
    assert erlen_result == flask_result == ["from the app", "bp template x", "bp2 only"]


def test_blueprint_open_resource(tmp_path):
    _folders(tmp_path)
    bp = Blueprint("bp", __name__, root_path=str(tmp_path))
    with bp.open_resource("bp_static/style.css") as f:
        assert f.read() == b"body { color: red }"
    with bp.open_resource("bp_static/style.css", "r", encoding="utf-8") as f:
        assert f.read() == "body { color: red }"
    with pytest.raises(ValueError, match="Resources can only be opened for reading"):
        bp.open_resource("bp_static/style.css", "w")


# -- url_for and request.blueprint ----------------------------------------------------------


def test_relative_url_for_resolves_in_current_blueprint(app, client):
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    @app.route("/index")
    def index():
        return url_for(".index")

    @app.route("/app-view")
    def app_view():
        return f"{url_for('.index')} {request.blueprint} {request.blueprints}"

    @parent.route("/index")
    def parent_index():
        return "parent"

    @parent.route("/view")
    def parent_view():
        return f"{url_for('.parent_index')} {url_for('index')} {url_for('.child.child_index')}"

    @child.route("/index")
    def child_index():
        return "child"

    @child.route("/view")
    def child_view():
        return (
            f"{url_for('.child_index')} {url_for('parent.parent_index')} {url_for('.view2', x=1)}"
        )

    @child.route("/view2")
    def view2():
        return ""

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/index").text == "/index"
    assert client.get("/app-view").text == "/index None []"
    assert client.get("/p/view").text == "/p/index /index /p/c/index"
    assert client.get("/p/c/view").text == "/p/c/index /p/index /p/c/view2?x=1"


def test_request_blueprint_matches_flask():
    def build(mod):
        app = new_app(mod)
        parent = mod.Blueprint("parent", __name__, url_prefix="/p")
        child = mod.Blueprint("child", __name__, url_prefix="/c")

        def view():
            r = mod.request
            return f"{r.blueprint} {r.blueprints} {r.endpoint} {mod.url_for('.view')}"

        for scaffold in (app, parent, child):
            scaffold.add_url_rule("/v", "view", view)
        parent.register_blueprint(child)
        app.register_blueprint(parent)
        app.register_blueprint(parent, name="again", url_prefix="/again")
        client = app.test_client()
        out = [client.get(path).text for path in ("/v", "/p/v", "/p/c/v", "/again/c/v")]
        with app.test_request_context("/p/c/missing"):
            out.append(repr((mod.request.blueprint, mod.request.blueprints)))
        return out

    flask_result, erlen_result = oracle(build)
    assert erlen_result == flask_result
    assert erlen_result[2] == "parent.child ['parent.child', 'parent'] parent.child.view /p/c/v"


# -- CLI ------------------------------------------------------------------------------------


def _cli_blueprint(mod, name, **kwargs):
    bp = mod.Blueprint(name, __name__, **kwargs)

    @bp.cli.command("hello")
    def hello():
        click.echo(f"hello from {name}")

    return bp


def test_cli_commands_under_the_blueprint_group(app):
    app.register_blueprint(_cli_blueprint(erlen, "default"))
    app.register_blueprint(_cli_blueprint(erlen, "flat", cli_group=None))
    app.register_blueprint(_cli_blueprint(erlen, "custom", cli_group="tools"))
    app.register_blueprint(_cli_blueprint(erlen, "optioned"), cli_group="given")
    assert isinstance(app.cli.commands["default"], click.Group)
    assert "hello" in app.cli.commands["default"].commands
    assert "hello" in app.cli.commands
    assert "hello" in app.cli.commands["tools"].commands
    assert "hello" in app.cli.commands["given"].commands
    assert "flat" not in app.cli.commands and "custom" not in app.cli.commands
    runner = app.test_cli_runner()
    assert runner.invoke(args=["default", "hello"]).output == "hello from default\n"
    assert runner.invoke(args=["hello"]).output == "hello from flat\n"
    assert runner.invoke(args=["tools", "hello"]).output == "hello from custom\n"
    assert runner.invoke(args=["given", "hello"]).output == "hello from optioned\n"


def test_cli_groups_match_flask():
    def build(mod):
        app = new_app(mod)
        app.register_blueprint(_cli_blueprint(mod, "default"))
        app.register_blueprint(_cli_blueprint(mod, "flat", cli_group=None))
        app.register_blueprint(_cli_blueprint(mod, "custom", cli_group="tools"))
        app.register_blueprint(_cli_blueprint(mod, "optioned"), cli_group="given")
        app.register_blueprint(mod.Blueprint("empty", __name__))
        return sorted(
            (name, sorted(getattr(cmd, "commands", {}))) for name, cmd in app.cli.commands.items()
        )

    flask_result, erlen_result = oracle(build)
    assert erlen_result == flask_result


# -- class-based views ----------------------------------------------------------------------


def test_method_view_on_a_blueprint(app, client):
    bp = Blueprint("api", __name__, url_prefix="/api")

    class Item(erlen.views.MethodView):
        def get(self, id):
            return f"get {id} {request.endpoint}"

        def post(self, id):
            return f"post {id}"

    class Ping(erlen.views.View):
        methods = ["GET", "PUT"]

        def dispatch_request(self):
            return f"ping {request.method}"

    bp.add_url_rule("/items/<int:id>", view_func=Item.as_view("item"))
    bp.add_url_rule("/ping", view_func=Ping.as_view("ping"))
    app.register_blueprint(bp)

    assert client.get("/api/items/5").text == "get 5 api.item"
    assert client.post("/api/items/5").text == "post 5"
    assert client.delete("/api/items/5").status_code == 405
    rv = client.options("/api/items/5")
    assert set(rv.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert client.put("/api/ping").text == "ping PUT"
    assert client.post("/api/ping").status_code == 405
    with app.test_request_context():
        assert url_for("api.item", id=9) == "/api/items/9"
    rule = next(app.url_map.iter_rules("api.item"))
    assert rule.methods == {"GET", "HEAD", "POST", "OPTIONS"}


# -- more of the pipeline under a blueprint -------------------------------------------------


def test_teardown_receives_the_error_matches_flask():
    def build(mod):
        app = new_app(mod)
        app.config["PROPAGATE_EXCEPTIONS"] = False
        bp = mod.Blueprint("bp", __name__, url_prefix="/bp")
        seen = []

        @bp.teardown_request
        def scoped(exc):
            seen.append(("bp", type(exc).__name__))

        @bp.teardown_app_request
        def app_wide(exc):
            seen.append(("app", type(exc).__name__))

        @bp.errorhandler(KeyError)
        def handled(e):
            return "handled", 400

        @bp.route("/<kind>")
        def view(kind):
            if kind == "key":
                raise KeyError(kind)
            if kind == "value":
                raise ValueError(kind)
            return "ok"

        client = app.test_client()
        app.register_blueprint(bp)
        for kind in ("ok", "key", "value"):
            rv = client.get(f"/bp/{kind}")
            seen.append(rv.status_code)
        return seen

    flask_seen, erlen_seen = oracle(build)
    assert erlen_seen == flask_seen
    assert erlen_seen[-3:] == [("bp", "ValueError"), ("app", "ValueError"), 500]


def test_async_hooks_and_views_on_a_blueprint(app, client):
    bp = Blueprint("bp", __name__)
    log = []

    @bp.before_request
    async def before():
        log.append("before")

    @bp.after_request
    async def after(response):
        log.append("after")
        return response

    @bp.errorhandler(418)
    async def teapot(e):
        return "async handled", 418

    @bp.route("/")
    async def index():
        return "async view"

    @bp.route("/teapot")
    async def make_tea():
        abort(418)

    app.register_blueprint(bp)
    assert client.get("/").text == "async view"
    assert client.get("/teapot").text == "async handled"
    assert log == ["before", "after", "before", "after"]


def test_static_cache_and_automatic_options_match_flask(tmp_path):
    _folders(tmp_path)

    def build(mod):
        app = new_app(mod, root_path=str(tmp_path))
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 60
        bp = mod.Blueprint(
            "bp", __name__, url_prefix="/bp", static_folder="bp_static", root_path=str(tmp_path)
        )
        bp.add_url_rule("/auto", "auto", lambda: "auto", methods=["GET", "POST"])
        bp.add_url_rule("/manual", "manual", lambda: "manual", provide_automatic_options=False)
        app.register_blueprint(bp)
        client = app.test_client()
        rv = client.get("/bp/bp_static/style.css")
        out = [rv.status_code, rv.headers.get("Cache-Control")]
        rv.close()
        rv = client.options("/bp/auto")
        out += [rv.status_code, sorted(rv.headers["Allow"].split(", "))]
        out.append(client.options("/bp/manual").status_code)
        out.append(client.head("/bp/auto").status_code)
        return out

    flask_result, erlen_result = oracle(build)
    assert erlen_result == flask_result
    assert erlen_result == [
        200,
        "public, max-age=60",
        200,
        ["GET", "HEAD", "OPTIONS", "POST"],
        405,
        200,
    ]


def test_register_blueprint_after_first_request_raises_like_flask():
    def build(mod):
        app = new_app(mod)
        app.add_url_rule("/", "index", lambda: "index")
        app.test_client().get("/")
        bp = mod.Blueprint("late", __name__)
        bp.before_request(lambda: None)  # hooks only: no add_url_rule to trip on
        with pytest.raises(AssertionError) as info:
            app.register_blueprint(bp)
        return str(info.value)

    flask_message, erlen_message = oracle(build)
    assert erlen_message == flask_message
    assert erlen_message.startswith(
        "The setup method 'register_blueprint' can no longer be called on the application."
    )


def test_blueprint_error_handler_for_errors_in_its_hooks(app, client):
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    class Denied(Exception):
        pass

    @bp.before_request
    def check():
        if request.args.get("deny"):
            raise Denied("no")

    @bp.errorhandler(Denied)
    def denied(e):
        return f"bp denied: {e}", 403

    @bp.app_errorhandler(LookupError)
    def lookup(e):
        return "app-wide lookup", 404

    @bp.route("/")
    def index():
        return "ok"

    @app.route("/missing")
    def missing():
        raise KeyError("x")

    app.register_blueprint(bp)
    assert client.get("/bp/").text == "ok"
    rv = client.get("/bp/?deny=1")
    assert (rv.status_code, rv.text) == (403, "bp denied: no")
    rv = client.get("/missing")
    assert (rv.status_code, rv.text) == (404, "app-wide lookup")
    assert Blueprint("rooted", __name__).root_path == HERE
