"""Real Chromium, driven by Playwright, against the showcase app under uvicorn.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``), launched through Playwright's
``executable_path``: Playwright's own browser download is never used (and cannot work on a
machine without internet). :func:`launch_chromium` passes the flags that keep Chromium off the
network; Playwright gives each launch a new empty profile directory and removes it on close.

:func:`start_showcase` serves ``examples.showcase.app:app`` with uvicorn (ASGI: the live page's
WebSocket works) on a free port, its sessions in a given SQLite file, and waits until it
answers, reusing :mod:`helpers_servers`. :class:`SessionFile` reads that file the way the app
does, so a test can see what the server keeps (the login's verification code, and whether a
session is gone) without any test-only hook in the app.

When Chromium or Playwright is missing, :func:`require_browser` fails the browser tests, so
that a missing install step cannot turn into a silently green run.
"""

from __future__ import annotations

import json
import os
import shutil
import typing as t
from pathlib import Path

import pytest

from erlen.sessions.stores.sqlite import SQLiteStore
from helpers_servers import ERLEN_PATH, Server, start_server

if t.TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

REPO_ROOT = Path(__file__).resolve().parent.parent
SHOWCASE_APP = "examples.showcase.app:app"
#: Milliseconds Playwright waits for a page, an element or an expectation. Only a guard against
#: hangs: no test asserts on time.
TIMEOUT_MS = 30_000
#: Chromium's flags for this machine: headless, no sandbox (CI runs as root), and nothing that
#: reaches out to the network (the machine has none; Chromium's retries would only add noise).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str | None:
    """The system Chromium (Debian's package installs ``/usr/bin/chromium``)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_browser() -> str:
    """The Chromium executable, after checking that Playwright imports; skip or fail if not."""
    missing = []
    path = chromium_path()
    if path is None:
        missing.append("the chromium executable (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[test]')")
    if missing:
        # NOTE: never a skip: the README's test command installs both, so a missing one is a
        # broken set-up, and a skipped browser test would pass for nothing.
        pytest.fail("browser tests need " + " and ".join(missing), pytrace=False)
    assert path is not None
    return path


def launch_chromium(playwright: Playwright, executable: str) -> Browser:
    """Launch the system Chromium headless, with a new empty profile (Playwright's temp dir)."""
    return playwright.chromium.launch(
        executable_path=executable,
        headless=True,
        args=list(CHROMIUM_ARGS),
        timeout=TIMEOUT_MS,
    )


def start_showcase(session_file: Path) -> Server:
    """uvicorn serving the showcase app on a free port, answering ``GET /`` already.

    The showcase's ``/`` says ``hello world!!!``, which is what :func:`start_server` waits for;
    its sessions go to ``session_file`` (``SHOWCASE_SESSION_SQLITE_PATH``), not to the
    repository's instance folder.
    """
    names = ("PYTHONPATH", "SHOWCASE_SESSION_SQLITE_PATH", "REDIS_URL")
    saved = {name: os.environ.get(name) for name in names}
    # start_server puts src/ and tests/ on the server's path; the showcase needs the repo root.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ERLEN_PATH), str(REPO_ROOT), saved["PYTHONPATH"]) if p
    )
    os.environ["SHOWCASE_SESSION_SQLITE_PATH"] = str(session_file)
    os.environ.pop("REDIS_URL", None)  # the default store: SQLite
    try:
        return start_server("uvicorn", app=SHOWCASE_APP)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class SessionFile:
    """The showcase server's SQLite session store, read from the test's side."""

    def __init__(self, path: Path) -> None:
        self.store = SQLiteStore(str(path))

    def get(self, sid: str) -> dict[str, t.Any] | None:
        """Session ``sid``'s data (decoded), or None when the store does not hold it."""
        loaded = self.store.load(sid)
        if loaded is None:
            return None
        return {key: json.loads(value) for key, value in loaded.fields.items()}

    def close(self) -> None:
        self.store.close()
