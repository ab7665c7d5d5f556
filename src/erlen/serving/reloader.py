"""The dev server's reloader: a parent process that restarts the serving child on changes.

The parent starts the same program again (``python app.py`` or ``erlen run ...``) with
``ERLEN_RUN_MAIN=true``; that child serves and watches the files of its loaded modules plus the
``extra_files``, exiting with code 3 when one changes, and the parent starts a new child. A child
that fails to start (a syntax error, an import error) has printed its error; the parent then
watches the files itself and starts a new child at the next change, so a bad save does not end
the session.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import subprocess
import sys
import threading
import time
import typing as t

RELOADER_ENV = "ERLEN_RUN_MAIN"
_RELOAD_CODE = 3


class _Watch:
    """Modification times of the watched files, compared with a snapshot."""

    def __init__(self, extra_files: t.Iterable[str], exclude_patterns: t.Iterable[str]) -> None:
        self.extra_files = [os.path.abspath(path) for path in extra_files]
        self.exclude_patterns = list(exclude_patterns)
        self.mtimes = self._scan()

    def _files(self) -> set[str]:
        files = set(self.extra_files)
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path:
                files.add(os.path.abspath(path))
        return {
            path
            for path in files
            if not any(fnmatch.fnmatch(path, pattern) for pattern in self.exclude_patterns)
        }

    def _scan(self) -> dict[str, float]:
        mtimes = {}
        for path in self._files():
            try:
                mtimes[path] = os.stat(path).st_mtime
            except OSError:
                continue
        return mtimes

    def changed(self) -> str | None:
        """The first file whose mtime differs from the snapshot (new modules join it)."""
        now = self._scan()
        for path, mtime in now.items():
            old = self.mtimes.setdefault(path, mtime)
            if mtime != old:
                return path
        return None

    def wait(self, interval: float) -> str:
        while True:
            path = self.changed()
            if path is not None:
                return path
            time.sleep(interval)


def _announce(path: str) -> None:
    print(f" * Detected change in {path!r}, reloading", file=sys.stderr, flush=True)


def start_watcher(
    extra_files: t.Iterable[str], exclude_patterns: t.Iterable[str], interval: float = 1.0
) -> None:
    """In the child: a daemon thread that exits the process with code 3 on a change."""
    watch = _Watch(extra_files, exclude_patterns)

    def run() -> None:
        _announce(watch.wait(interval))
        os._exit(_RELOAD_CODE)

    threading.Thread(target=run, name="erlen-reloader", daemon=True).start()


def _restart_command() -> list[str]:
    """The command line that starts this program again (``python -m erlen`` stays ``-m``)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        name = spec.name.removesuffix(".__main__")
        return [sys.executable, "-m", name, *sys.argv[1:]]
    return [sys.executable, *sys.argv]


def restart_loop(
    extra_files: t.Iterable[str], exclude_patterns: t.Iterable[str], interval: float = 1.0
) -> int:
    """In the parent: run children until one ends for good; the exit code to end with."""
    extra_files, exclude_patterns = list(extra_files), list(exclude_patterns)
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: t.Any) -> None:
        if child is not None and child.poll() is None:
            child.terminate()
        raise SystemExit(128 + signum)

    # NOTE: a SIGTERM to the parent alone must not leave the serving child running.
    signal.signal(signal.SIGTERM, stop)
    while True:
        # NOTE: the snapshot is taken before the child starts, so an edit made while it fails
        # to start is still seen as a change.
        watch = _Watch(extra_files, exclude_patterns)
        env = dict(os.environ, **{RELOADER_ENV: "true"})
        try:
            child = subprocess.Popen(_restart_command(), env=env)
            code = child.wait()
        except KeyboardInterrupt:
            if child is not None:
                child.wait()
            return 0
        if code == _RELOAD_CODE:
            continue
        if code in (0, -signal.SIGINT, -signal.SIGTERM, 128 + signal.SIGINT):
            return 0 if code <= 0 else code
        print(
            f" * The app exited with code {code}; fix the error above, the server restarts"
            " when a file changes.",
            file=sys.stderr,
            flush=True,
        )
        try:
            _announce(watch.wait(interval))
        except KeyboardInterrupt:
            return code
