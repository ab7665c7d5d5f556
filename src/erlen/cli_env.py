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
    value = getenv("DEBUG")
    return bool(value) and value.lower() not in _FALSE_WORDS  # type: ignore[union-attr]


def get_load_dotenv(default: bool = True) -> bool:
    """False when ``ERLEN_SKIP_DOTENV`` (or ``FLASK_SKIP_DOTENV``) is set to a true value."""
    value = getenv("SKIP_DOTENV")
    if not value:
        return default
    return value.lower() in _FALSE_WORDS


def mirror_flask_variables() -> None:
    """Make every ``FLASK_X`` variable visible as ``ERLEN_X`` unless ``ERLEN_X`` is set.

    # NOTE: click reads an option's variable from one prefix (``auto_envvar_prefix``). Copying the
    # Flask names over once lets every option of every command (built-in, plugin or the app's own,
    # nested groups included) fall back to its ``FLASK_*`` name, with ``ERLEN_*`` winning.
    """
    for key, value in list(os.environ.items()):
        if key.startswith("FLASK_"):
            os.environ.setdefault("ERLEN_" + key[6:], value)


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Load ``.flaskenv``, ``.erlenenv``, ``.env`` (searched from the cwd upwards) and ``path``.

    Variables already in the environment are kept. Returns whether any variable was read. Without
    python-dotenv nothing is loaded; a hint is printed if such files exist.
    """
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
        return False

    data: dict[str, str | None] = {}
    if load_defaults:
        for name in DEFAULT_DOTENV_FILES:
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        data.update(dotenv.dotenv_values(path, encoding="utf-8"))
    for key, value in data.items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
    return bool(data)


def _env_file_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> t.Any:
    """``-e/--env-file``: load the defaults (unless turned off) and the given file, eagerly."""
    from .cli_app import ScriptInfo

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
        load_dotenv(value, load_defaults=info.load_dotenv_defaults)
    # Variables just read from the files may be FLASK_* ones: expose them as ERLEN_* too.
    mirror_flask_variables()
    return value


def _debug_callback(ctx: click.Context, param: click.Parameter, value: bool | None) -> t.Any:
    """``--debug/--no-debug``: set ``ERLEN_DEBUG`` so the app, the reloader child and run agree.

    ``None`` means neither the flag nor ``ERLEN_DEBUG``/``FLASK_DEBUG`` was given: leave it.
    """
    if value is None:
        return None
    os.environ["ERLEN_DEBUG"] = "1" if value else "0"
    return value


env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
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
