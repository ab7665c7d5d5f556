"""Shared fixtures: an app and a client, and a guard that no context leaks between tests."""

from __future__ import annotations

import sys

import pytest

import erlen
from erlen.globals import _cv_app, _cv_request


@pytest.fixture
def app() -> erlen.Erlen:
    app = erlen.Erlen("erlen_test_app", root_path=__import__("os").path.dirname(__file__))
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: erlen.Erlen):
    return app.test_client()


@pytest.fixture(autouse=True)
def _no_leaked_context():
    yield
    leaked_request = _cv_request.get(None)
    leaked_app = _cv_app.get(None)
    assert leaked_request is None, f"a request context was left pushed: {leaked_request!r}"
    assert leaked_app is None, f"an app context was left pushed: {leaked_app!r}"
    # NOTE: erlen.compat patches flask/werkzeug for the whole process, and this suite uses them
    # as oracles: compat runs only in subprocesses (tests/test_ecosystem.py, test_compat.py).
    assert "erlen.compat" not in sys.modules, "erlen.compat was imported in the test process"


# NOTE: property tests run the same examples on every run, so CI results are reproducible.
from hypothesis import settings  # noqa: E402

settings.register_profile("erlen", derandomize=True, deadline=None)
settings.load_profile("erlen")
