"""Real Chromium, driven by Playwright, against the showcase as README command 1 runs it.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``), launched through Playwright's
``executable_path``: Playwright's own browser download is never used (and cannot work on a
machine without internet). :func:`launch_chromium` passes the flags that keep Chromium off the
network; Playwright gives each launch a new empty profile directory and removes it on close.

:func:`start_showcase` runs ``python3 -m examples.showcase`` (the showcase's ``app.run()``, on
erlen's dev server) on a free port, its sessions in a given SQLite file, and waits until the
URL it prints answers. :class:`SessionFile` reads that file the way the app
does, so a test can see what the server keeps (the login's verification code, and whether a
session is gone) without any test-only hook in the app.

When Chromium or Playwright is missing, :func:`require_browser` fails the browser tests, so
that a missing install step cannot turn into a silently green run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.request
from pathlib import Path

import pytest

from erlen.sessions.stores.sqlite import SQLiteStore
from helpers_servers import (
    ERLEN_PATH,
    STARTUP_TIMEOUT,
    TIMEOUT,
    Server,
    free_port,
    stop_server,
)

if t.TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

REPO_ROOT = Path(__file__).resolve().parent.parent
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


def start_showcase(session_file: Path, attempts: int = 3) -> Server:
    """README command 1's server: ``python3 -m examples.showcase`` from the repository root.

    That is the showcase's ``app.run()`` (erlen's dev server), on a free port (``--port``),
    its sessions in ``session_file`` (``SHOWCASE_SESSION_SQLITE_PATH``) rather than the
    repository's instance folder. Returns once the URL the command prints answers. A port taken
    between :func:`free_port` and the bind makes the command exit; then another is tried.
    """
    env = dict(os.environ)
    # NOTE: as after README command 1's editable install: erlen importable, the working
    # directory the repository root (``-m examples.showcase`` imports from there).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ERLEN_PATH), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env["SHOWCASE_SESSION_SQLITE_PATH"] = str(session_file)
    for name in ("REDIS_URL", "ERLEN_DEBUG", "FLASK_DEBUG", "ERLEN_APP", "FLASK_APP"):
        env.pop(name, None)  # the default store (SQLite), no debug mode
    failure = ""
    for _ in range(attempts):
        port = free_port()
        fd, name = tempfile.mkstemp(prefix="erlen-showcase-", suffix=".log")
        log_file = os.fdopen(fd, "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "examples.showcase", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
        server = Server("showcase", port, proc, Path(name), _log_file=log_file)
        url = _printed_url(server)
        if url is not None:
            assert url == f"{server.url}/home", server.log()
            if _answers(server, url):
                return server
        failure = server.log()
        stop_server(server)
        if "in use" not in failure:
            break
    raise RuntimeError(f"python3 -m examples.showcase did not serve:\n{failure}")


def _printed_url(server: Server) -> str | None:
    """The URL the command prints (``erlen showcase: open URL``), or None if it exits first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT  # NOTE: a hang guard, not a speed check
    while time.monotonic() < deadline and server.proc.poll() is None:
        found = re.search(r"erlen showcase: open (\S+)\n", server.log())
        if found:
            return found.group(1)
        time.sleep(0.05)
    return None


def _answers(server: Server, url: str) -> bool:
    """Whether ``url`` answers 200 (the server binds after printing it: retry until then)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and server.proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as reply:
                return bool(reply.status == 200)
        except OSError:
            time.sleep(0.05)
    return False


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
