"""Shared pieces of the CLI tests: an isolated cwd and environment, apps written to files, and
one-invocation helpers (in-process with click's runner, or as a ``python -m erlen`` process).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from erlen.cli import (
    cli,
)

#: Seconds a subprocess may take to start answering; only a guard against hangs.
STARTUP_TIMEOUT = 60.0


@pytest.fixture(autouse=True)
def isolated_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    """Each test: its own cwd, no ERLEN_/FLASK_ variables, and sys.path, sys.modules and the
    environment restored afterwards (the CLI writes variables, as Flask's does)."""
    saved_env = dict(os.environ)
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    for key in list(os.environ):
        if key.startswith(("ERLEN_", "FLASK_")) or key == "PYTHONSTARTUP":
            del os.environ[key]
    monkeypatch.chdir(tmp_path)
    yield
    os.environ.clear()
    os.environ.update(saved_env)
    sys.path[:] = saved_path
    # Forget the test's own modules (each test writes its own hello.py); leave library modules
    # imported meanwhile alone (re-importing a C extension's Python half breaks it).
    root = str(tmp_path.parent.parent)
    for name in set(sys.modules) - saved_modules:
        module = sys.modules[name]
        if str(getattr(module, "__file__", None) or "").startswith(root) or not getattr(
            module, "__file__", None
        ):
            del sys.modules[name]


def write(path: str | Path, source: str) -> Path:
    """Write ``source`` (dedented) to ``path`` relative to the cwd, creating folders."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(source), encoding="utf-8")
    importlib.invalidate_caches()
    return target


#: An app module whose ``where`` command says which app it runs in, in which context.
APP_SOURCE = """\
import click
from erlen import Erlen, current_app

{name} = Erlen({import_name!r})

@{name}.cli.command()
def where():
    click.echo(f"app={{current_app.import_name}} debug={{current_app.debug}}")
"""


def app_module(path: str, name: str = "app", import_name: str = "demo") -> Path:
    return write(path, APP_SOURCE.format(name=name, import_name=import_name))


def run_cli(*args: str, input: str | None = None, group: click.Command = cli) -> Result:
    """One in-process ``erlen`` invocation; it must leave the environment as it found it (the
    variables it sets for the app, from dotenv files, ``--debug`` or ``FLASK_*`` fallbacks,
    are undone when it ends)."""
    saved = dict(os.environ)
    result = CliRunner().invoke(group, list(args), input=input)
    assert dict(os.environ) == saved
    return result


def assert_one_line_error(result: Result, text: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and text in lines[0], lines[0]


def erlen_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erlen", *args],
        capture_output=True, text=True, timeout=STARTUP_TIMEOUT, cwd=cwd,
        env=env or dict(os.environ), check=False,
    )  # fmt: skip
