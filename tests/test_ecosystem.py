"""Real Flask extensions, unmodified, on erlen through erlen.compat (issue 7, design §8).

Each app in tests/ecosystem/ is a realistic use of one extension with its checks; it runs as a
script in its own process, because erlen.compat aliases ``flask`` and patches Werkzeug for the whole
process, and the rest of this suite uses real Flask and Werkzeug as oracles. Every app also runs
on real Flask (``ECOSYSTEM_ON=flask``): what the checks expect is what Flask does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "ecosystem"

APPS = {
    "login": ["login_required_redirects", "remember_me_survives_a_lost_session"],
    "wtf": [
        "csrf_missing_is_400",
        "csrf_handler_runs",
        "multipart_upload_validates",
        "wrong_file_type_is_refused",
    ],
    "sqlalchemy": ["crud", "paginate_from_query_string"],
    "cors": ["app_wide", "per_view_decorator"],
    "caching": ["cached_view", "abort_inside_cached_view", "memoize"],
    "limiter": ["default_429", "custom_429_handler"],
    "migrate": ["init_migrate_upgrade", "console_script_under_the_hook"],
    "mail": ["outbox"],
    "babel": ["locale_selection_and_format_date"],
}


@pytest.mark.parametrize("on", ["erlen", "flask"])
@pytest.mark.parametrize("name", sorted(APPS))
def test_extension_app(name: str, on: str, tmp_path: Path) -> None:
    env = dict(os.environ, ECOSYSTEM_ON=on)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(HERE / f"{name}_app.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # NOTE: a does-not-hang guard only
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == [w for check in APPS[name] for w in ("ok", check)], proc.stdout


def test_compat_does_not_leak_into_this_process() -> None:
    """The oracle tests here need real Flask: the ecosystem apps never ran compat in-process."""
    import flask
    import werkzeug.exceptions

    import erlen

    assert flask.Flask is not erlen.Erlen
    assert werkzeug.exceptions.NotFound is not erlen.exceptions.NotFound
    assert "erlen.compat" not in sys.modules
