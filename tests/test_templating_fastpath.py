"""The template context of an app without context processors equals the processors' result.

``update_template_context`` puts erlen's defaults (``g``, ``request``, ``session``) straight
into the context when erlen's own processor is the only one; any other processor makes it run
every processor, update and restore the caller's values. A processor that adds nothing takes
the general path with the same expected result, so the two are compared here on many contexts,
inside and outside app and request contexts, with the session opened or not.
"""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erlen import Blueprint, Erlen, session
from erlen.templating import default_template_ctx_processor, update_template_context

KEYS = st.sampled_from(["g", "request", "session", "title", "items", "config"])
CONTEXTS = st.dictionaries(KEYS, st.integers() | st.none() | st.just(""), max_size=6)


def _snapshot(context: dict[str, t.Any]) -> list[tuple[str, t.Any]]:
    """Keys in order with their values; objects compared by identity."""
    return [(k, v if isinstance(v, (int, str, type(None))) else id(v)) for k, v in context.items()]


def _both(app: Erlen, context: dict[str, t.Any]) -> tuple[list[t.Any], list[t.Any]]:
    processors = app.template_context_processors[None]
    assert processors == [default_template_ctx_processor]
    fast = dict(context)
    update_template_context(app, fast)
    processors.append(lambda: {})  # adds nothing, but takes the general path
    try:
        general = dict(context)
        update_template_context(app, general)
    finally:
        processors.pop()
    return _snapshot(fast), _snapshot(general)


@pytest.fixture(scope="module")
def app() -> Erlen:
    app = Erlen(__name__)
    app.secret_key = "test"
    return app


@settings(max_examples=150, deadline=None)
@given(context=CONTEXTS, where=st.sampled_from(["none", "app", "request", "request+session"]))
def test_default_only_context_equals_general_path(
    app: Erlen, context: dict[str, t.Any], where: str
) -> None:
    if where == "none":
        fast, general = _both(app, context)
    elif where == "app":
        with app.app_context():
            fast, general = _both(app, context)
    else:
        with app.test_request_context("/"):
            if where == "request+session":
                session["x"] = 1  # the session is open: the object itself goes in
            fast, general = _both(app, context)
    assert fast == general
    if where != "none":
        assert "g" in dict(fast)


def test_default_only_session_stays_unopened_until_used(app: Erlen) -> None:
    with app.test_request_context("/") as ctx:
        context: dict[str, t.Any] = {}
        update_template_context(app, context)
        assert list(context) == ["g", "request", "session"]
        assert context["session"] is session  # the proxy: nothing opened yet
        assert ctx._session is None
        ctx.session["y"] = 2
        context = {"title": "t"}
        update_template_context(app, context)
        assert list(context) == ["title", "g", "request", "session"]
        assert context["session"] is ctx._session


def test_a_blueprint_processor_still_runs() -> None:
    app = Erlen(__name__)
    bp = Blueprint("bp", __name__)

    @bp.context_processor
    def extra() -> dict[str, t.Any]:
        return {"from_bp": 1, "request": "bp-request"}

    @bp.route("/x")
    def x() -> str:
        return ""

    app.register_blueprint(bp)
    with app.test_request_context("/x"):
        context: dict[str, t.Any] = {"title": "t"}
        update_template_context(app, context)
    assert context["from_bp"] == 1
    assert context["request"] == "bp-request"  # a later processor overrides the default
    assert list(context) == ["title", "g", "request", "session", "from_bp"]
