"""The CLI's environment: dotenv files, ``ERLEN_*`` variables with ``FLASK_*`` fallbacks, debug.

Precedence, lowest first: ``.flaskenv``, ``.erlenenv``, ``.env``, the ``--env-file`` file, and
above them all the process environment (a file never overrides a variable already set).
"""

from __future__ import annotations

import os
import typing as t

import click

#: The dotenv files loaded by default, lowest precedence first. ``.flaskenv`` is kept so a project
#: migrating from Flask works unchanged; ``.erlenenv`` is erlen's own public settings file.
DEFAULT_DOTENV_FILES = (".flaskenv", ".erlenenv", ".env")

_FALSE_WORDS = frozenset({"0", "false", "no"})


def getenv(name: str, default: str | None = None) -> str | None:
    """``ERLEN_<name>``, else ``FLASK_<name>``, else ``default``."""
    value = os.environ.get(f"ERLEN_{name}")
    if value is None:
        value = os.environ.get(f"FLASK_{name}")
    return default if value is None else value


def get_debug_flag() -> bool:
    """Debug mode as ``ERLEN_DEBUG`` (or ``FLASK_DEBUG``) says: on unless unset, empty or 0/false/no."""
    value = getenv("DEBUG") or ""
    return bool(value) and value.lower() not in _FALSE_WORDS


def get_load_dotenv(default: bool = True) -> bool:
    """False when ``ERLEN_SKIP_DOTENV`` (or ``FLASK_SKIP_DOTENV``) is set to a true value."""
    value = getenv("SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in _FALSE_WORDS


def flask_fallbacks() -> dict[str, str]:
    """``ERLEN_X: value`` for every ``FLASK_X`` variable whose ``ERLEN_X`` is unset.

    # NOTE: click reads an option's variable from one prefix (``auto_envvar_prefix``). Copying
    # the Flask names over once lets every option of every command (built-in, plugin or the
    # app's own, nested groups too) fall back to its ``FLASK_*`` name, with ``ERLEN_*`` winning.
    """
    return {
        "ERLEN_" + key[6:]: value
        for key, value in os.environ.items()
        if key.startswith("FLASK_") and "ERLEN_" + key[6:] not in os.environ
    }


def _restore_on_close(ctx: click.Context, keys: t.Iterable[str]) -> None:
    """Put ``keys`` back as they were when ``ctx`` closes (the ``erlen`` invocation ends).

    # NOTE: the CLI writes variables for the app it loads (dotenv files, ``--debug``, the
    # ``FLASK_*`` fallbacks) and for a reloader's child, which inherits them. An invocation
    # inside a longer-lived process (tests, a script calling ``cli.main``) must not leave them
    # behind, so they are undone when the invocation ends.
    """
    before = {key: os.environ.get(key) for key in keys}

    def restore() -> None:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    ctx.call_on_close(restore)


def setenv_until_close(ctx: click.Context, values: dict[str, str]) -> None:
    """Set ``values`` in the environment until ``ctx`` closes."""
    _restore_on_close(ctx, values)
    os.environ.update(values)


def _read_dotenv(path: str | os.PathLike[str] | None, load_defaults: bool) -> dict[str, str]:
    """The variables the dotenv files would set (those not already in the environment)."""
    try:
        import dotenv
    except ImportError:
        if path or any(os.path.isfile(name) for name in DEFAULT_DOTENV_FILES):
            click.secho(
                " * Tip: there are .env files present. Install python-dotenv (pip install"
                ' "erlen[dotenv]") to use them.',
                fg="yellow",
                err=True,
            )
        return {}

    data: dict[str, str | None] = {}
    if load_defaults:
        for name in DEFAULT_DOTENV_FILES:
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        data.update(dotenv.dotenv_values(path, encoding="utf-8"))
    return {k: v for k, v in data.items() if v is not None and k not in os.environ}


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load ``.flaskenv``, ``.erlenenv``, ``.env`` (searched from the cwd upwards) and ``path``.

    Variables already in the environment are kept. Returns whether any variable was set.
    Without python-dotenv nothing is loaded; a hint is printed if such files exist.
    """
    values = _read_dotenv(path, load_defaults)
    os.environ.update(values)
    return bool(values)


def is_running_from_reloader() -> bool:
    """True in the server process the reloader restarts (not in the watching parent)."""
    from ..serving.devserver import _RELOADER_ENV

    return os.environ.get(_RELOADER_ENV) == "true"


def show_debug_mode(debug: bool) -> None:
    """Print Flask's `` * Debug mode: on/off`` line before serving (``erlen run`` and
    ``app.run()`` both, as Flask does), once: not again in the reloader's child."""
    if not is_running_from_reloader():
        click.echo(f" * Debug mode: {'on' if debug else 'off'}", err=True)


def show_server_banner(debug: bool | None, app_import_path: str | None) -> None:
    """Flask's ``flask.cli.show_server_banner``: the app's import path and the debug mode, each
    line only when known, and nothing in the reloader's child (the parent printed them)."""
    if is_running_from_reloader():
        return
    # NOTE: on stdout, as Flask's; erlen's own servers print their banner lines on stderr.
    if app_import_path is not None:
        click.echo(f" * Serving erlen app '{app_import_path}'")
    if debug is not None:
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")


def run_from_cli_guard(load_dotenv_files: bool) -> bool:
    """What ``app.run()`` does first: True if it must return at once (under the ``erlen``
    command, which serves the app itself); else load the dotenv files if asked, as Flask's
    ``app.run`` does."""
    if os.environ.get("ERLEN_RUN_FROM_CLI") == "true":
        # NOTE: a module ending in an unguarded ``app.run()`` would otherwise block ``erlen
        # routes`` forever, or start a second server under ``erlen run``.
        if not is_running_from_reloader():
            click.secho(
                " * Ignoring a call to 'app.run()' that would block the current 'erlen' command."
                "\n   Only call 'app.run()' in an 'if __name__ == \"__main__\"' guard.",
                fg="red",
                err=True,
            )
        return True
    if load_dotenv_files and get_load_dotenv():
        load_dotenv()
    return False


def _env_file_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> t.Any:
    """``-e/--env-file``: load the defaults (unless turned off) and the given file, eagerly."""
    from .discovery import ScriptInfo

    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                'python-dotenv must be installed to load an env file (pip install "erlen[dotenv]").',
                ctx=ctx,
                param=param,
            ) from None
    info = ctx.ensure_object(ScriptInfo)
    if value is not None or info.load_dotenv_defaults:
        setenv_until_close(ctx, _read_dotenv(value, load_defaults=info.load_dotenv_defaults))
    # NOTE: this callback runs before the other options read the environment (it is eager and
    # declared first), so they all see the files' values and the FLASK_* fallbacks.
    setenv_until_close(ctx, flask_fallbacks())
    return value


def _debug_callback(ctx: click.Context, param: click.Parameter, value: bool | None) -> t.Any:
    """``--debug/--no-debug``: set ``ERLEN_DEBUG`` so the app, the reloader child and run agree.

    ``None`` means neither the flag nor ``ERLEN_DEBUG``/``FLASK_DEBUG`` was given: leave it.
    """
    if value is None:
        return None
    setenv_until_close(ctx, {"ERLEN_DEBUG": "1" if value else "0"})
    return value


env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    # Named here: read before the FLASK_* fallbacks are copied over (by this very option).
    envvar=["ERLEN_ENV_FILE", "FLASK_ENV_FILE"],
    help="Load environment variables from this file, taking precedence over those set by"
    " '.env', '.erlenenv' and '.flaskenv'. Variables set directly in the environment take"
    " the highest precedence. python-dotenv must be installed.",
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)

debug_option = click.Option(
    ["--debug/--no-debug"],
    default=None,
    help="Set debug mode.",
    expose_value=False,
    callback=_debug_callback,
)
