"""Shared by the ecosystem apps: each runs in its own process with erlen.compat installed.

NOTE: not collected by pytest (no ``test_`` prefix); tests/test_ecosystem.py runs each app module as
a script in a subprocess, since compat patches flask/werkzeug for the whole process. With
``ECOSYSTEM_ON=flask`` in the environment the same script runs on real Flask instead: the oracle
that keeps each app's expectations honest.
"""

from __future__ import annotations

import os
import sys

ON_FLASK = os.environ.get("ECOSYSTEM_ON") == "flask"

if not ON_FLASK:
    import erlen.compat  # noqa: F401 -- first, before any extension imports flask


def check_compat() -> None:
    """The process really runs what it claims: erlen under the flask name, or real Flask."""
    import flask

    if ON_FLASK:
        assert flask.__file__ and "erlen" not in flask.__file__, flask.__file__
        return
    import erlen

    assert flask.Flask is erlen.Erlen, flask.Flask
    exceptions = sys.modules.get("werkzeug.exceptions")
    assert exceptions is None or exceptions.NotFound is erlen.exceptions.NotFound


def run(*checks) -> None:  # type: ignore[no-untyped-def]
    check_compat()
    for check in checks:
        check()
        print(f"ok {check.__name__}")
