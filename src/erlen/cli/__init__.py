"""The ``erlen`` command (also ``python -m erlen``): Flask's command line, under erlen's name.

``erlen [--app X] [--debug] [-e FILE] run|routes|shell|<plugin>|<app command>``. Every option
reads ``ERLEN_<NAME>`` (``ERLEN_APP``, ``ERLEN_DEBUG``, ``ERLEN_RUN_PORT``...) and, for projects
moving from Flask, ``FLASK_<NAME>`` when the erlen name is unset. ``app.cli`` is an
:class:`AppGroup`; every app command runs inside the app's application context.

The pieces live in ``discovery`` (finding the app, contexts), ``env`` (dotenv, variables) and
``commands`` (the built-in commands); this package assembles the group and re-exports Flask's
names so ``from erlen.cli import FlaskGroup, with_appcontext`` works.
"""

from __future__ import annotations

import platform
import sys
import typing as t
from importlib import metadata

import click

from .commands import CertParamType as CertParamType
from .commands import SeparatedPathType as SeparatedPathType
from .commands import routes_command as routes_command
from .commands import run_command as run_command
from .commands import shell_command as shell_command
from .discovery import AppGroup as AppGroup
from .discovery import AppNotLocated as AppNotLocated
from .discovery import NoAppException as NoAppException
from .discovery import ScriptInfo as ScriptInfo
from .discovery import find_app_by_string as find_app_by_string
from .discovery import find_best_app as find_best_app
from .discovery import locate_app as locate_app
from .discovery import pass_script_info as pass_script_info
from .discovery import prepare_import as prepare_import
from .discovery import push_app_context
from .discovery import with_appcontext as with_appcontext
from .env import debug_option, env_file_option, setenv_until_close
from .env import get_debug_flag as get_debug_flag
from .env import get_load_dotenv as get_load_dotenv
from .env import load_dotenv as load_dotenv
from .env import show_server_banner as show_server_banner

if t.TYPE_CHECKING:
    from ..app import Erlen

#: Entry-point groups whose commands ``erlen`` offers, highest precedence first. Flask's group is
#: read too, so extensions written for Flask (Flask-Migrate's ``db``) appear.
PLUGIN_GROUPS = ("erlen.commands", "flask.commands")


def _set_app_import_path(ctx: click.Context, param: click.Parameter, value: str | None) -> t.Any:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def get_version(ctx: click.Context, param: click.Parameter | None, value: t.Any) -> None:
    """The ``--version`` callback: print the versions a bug report needs, then exit.

    Flask's format, one ``Name version`` a line: Python and erlen. Under :mod:`erlen.compat`
    the Flask API it serves and the installed Werkzeug (extensions still run its helpers)
    follow, each marked as such, so a report says which layer answered.
    """
    if not value or ctx.resilient_parsing:
        return
    click.echo(version_text(), color=ctx.color)
    ctx.exit()


def version_text() -> str:
    """What ``--version`` prints (see :func:`get_version`)."""
    from .. import __version__

    lines = [f"Python {platform.python_version()}", f"erlen {__version__}"]
    # NOTE: looked up, not imported: importing erlen.compat would install the aliases.
    compat = sys.modules.get("erlen.compat")
    if compat is not None and compat.installed():
        lines.append(f"Flask {compat.FLASK_VERSION} (the API erlen.compat serves)")
        try:
            werkzeug = metadata.version("werkzeug")
        except metadata.PackageNotFoundError:
            pass
        else:
            lines.append(f"Werkzeug {werkzeug} (installed; erlen.compat maps its public classes)")
    return "\n".join(lines)


app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help="The erlen application or factory function to load, in the form 'module:name'."
    " Module can be a dotted import or file path. Name is not required if it is 'app',"
    " 'application', 'create_app', or 'make_app', and can be 'name(args)' to pass arguments.",
    is_eager=True,
    expose_value=False,
    callback=_set_app_import_path,
)

version_option = click.Option(
    ["--version"],
    help="Show the erlen version.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


def _plugin_entry_points(name: str | None = None) -> list[metadata.EntryPoint]:
    """The plugin entry points (all, or those called ``name``), erlen's group first."""
    found: list[metadata.EntryPoint] = []
    for group in PLUGIN_GROUPS:
        for ep in metadata.entry_points(group=group):
            if name is None or ep.name == name:
                found.append(ep)
    return found


def _load_plugin(ep: metadata.EntryPoint) -> click.Command | None:
    """The command behind ``ep``; a plugin that fails to load is reported and left out."""
    try:
        command = ep.load()
    except Exception as e:
        click.secho(
            f" * Warning: could not load the {ep.group!r} plugin command {ep.name!r} ({ep.value}):"
            f" {type(e).__name__}: {e}",
            fg="yellow",
            err=True,
        )
        return None
    if not isinstance(command, click.Command):
        click.secho(
            f" * Warning: the plugin {ep.name!r} ({ep.value}) is not a click command.",
            fg="yellow",
            err=True,
        )
        return None
    return command


class ErlenGroup(AppGroup):
    """The ``erlen`` group: ``--app``, ``--debug``, ``--env-file``, the built-in commands, plugin
    commands and the app's own. Use it for a custom management script::

        @click.group(cls=ErlenGroup, create_app=create_app)
        def cli(): ...

    :param add_default_commands: add ``run``, ``routes``, ``shell`` and ``sessions``.
    :param create_app: builds the app (instead of finding it with ``--app``).
    :param add_version_option: add ``--version``.
    :param load_dotenv: load ``.flaskenv``, ``.erlenenv`` and ``.env``.
    :param set_debug_flag: set ``app.debug`` from ``ERLEN_DEBUG``/``--debug``.
    """

    push_context_when_top_level = False

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Erlen] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        params.extend((env_file_option, app_option, debug_option))
        if add_version_option:
            params.append(version_option)
        extra.setdefault("context_settings", {}).setdefault("auto_envvar_prefix", "ERLEN")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
            from ..sessions.commands import sessions_command  # NOTE: here: it imports this module

            self.add_command(sessions_command)

    def _plugin_command(self, name: str) -> click.Command | None:
        for ep in _plugin_entry_points(name):
            command = _load_plugin(ep)
            if command is not None:
                return command
        return None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name) or self._plugin_command(name)
        if command is not None:
            return command
        # NOTE: an app that cannot be loaded is the error the user needs to see (one line),
        # not click's "No such command" that would follow it. With no app at all, the command
        # may as well be a typo: then the error is a usage error that says both (as Flask's).
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except AppNotLocated as e:
            raise click.UsageError(f"No such command {name!r}. {e.format_message()}", ctx) from None
        command = app.cli.get_command(ctx, name)
        if command is not None:
            # Every app command runs in the app context, also those added with add_command.
            push_app_context(ctx)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        # Only plugins that load are listed: help then never asks for one that cannot.
        plugin_names = {ep.name for ep in _plugin_entry_points()}
        names.update(name for name in plugin_names if self._plugin_command(name) is not None)
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except NoAppException as e:
            # Help must still show the built-in commands; say why the app's are missing.
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        # app.run() called while the app is imported must not block this command.
        setenv_until_close(ctx, {"ERLEN_RUN_FROM_CLI": "true"})
        return ctx

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help:
            # Help is about to be shown: read --env-file and --app from the environment first,
            # so the app's commands are listed too.
            env_file_option.handle_parse_result(ctx, {}, [])
            app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


FlaskGroup = ErlenGroup

cli = ErlenGroup(
    name="erlen",
    help="""\
A general utility script for erlen applications.

An application to load must be given with the '--app' option, the 'ERLEN_APP' (or 'FLASK_APP')
environment variable, or with a 'wsgi.py' or 'app.py' file in the current directory.
""",
)


def main() -> None:
    """Entry point of the ``erlen`` console script and of ``python -m erlen``."""
    prog_name = "erlen" if sys.argv and sys.argv[0].endswith("__main__.py") else None
    cli.main(prog_name=prog_name)


__all__ = [
    "AppGroup",
    "AppNotLocated",
    "CertParamType",
    "ErlenGroup",
    "FlaskGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_version",
    "get_debug_flag",
    "get_load_dotenv",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "shell_command",
    "with_appcontext",
]
