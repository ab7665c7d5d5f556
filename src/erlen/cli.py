"""The ``erlen`` command: find the app, then ``run``, ``routes`` or an app's own commands.

``app.cli`` is a :class:`AppGroup`, a click group whose commands run inside an app context.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import typing as t

import click

if t.TYPE_CHECKING:
    from .app import Erlen

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class NoAppException(click.UsageError):
    """The app could not be found or imported."""


class ScriptInfo:
    """How the CLI finds the app: an import path (``module:name``) or a factory."""

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Erlen] | None = None,
        set_debug_flag: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.data: dict[t.Any, t.Any] = {}
        self._loaded_app: Erlen | None = None

    def load_app(self) -> Erlen:
        if self._loaded_app is not None:
            return self._loaded_app
        if self.create_app is not None:
            app = self.create_app()
        else:
            path = (
                self.app_import_path or os.environ.get("ERLEN_APP") or os.environ.get("FLASK_APP")
            )
            if path:
                app = locate_app(path)
            else:
                for candidate in ("wsgi", "app"):
                    if os.path.exists(f"{candidate}.py"):
                        app = locate_app(candidate)
                        break
                else:
                    raise NoAppException(
                        "Could not locate an application. Use 'erlen --app module:name' or set"
                        " ERLEN_APP, or put the app in 'wsgi.py' or 'app.py'."
                    )
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def locate_app(import_path: str) -> Erlen:
    """Import ``module`` or ``module:attr`` (``attr`` may be ``factory(args)``) and return the app."""
    from .app import Erlen

    module_name, _, attr = import_path.partition(":")
    if module_name.endswith(".py"):
        module_name = module_name[:-3].replace(os.sep, ".")
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise NoAppException(f"Could not import {module_name!r}: {e}") from e
    if attr:
        if attr.endswith(")") and "(" in attr:
            import ast

            name, _, args = attr[:-1].partition("(")
            factory = getattr(module, name)
            parsed = ast.literal_eval(f"({args},)") if args.strip() else ()
            app = factory(*parsed)
        else:
            app = getattr(module, attr)
        if not isinstance(app, Erlen):
            raise NoAppException(f"{import_path!r} is not an erlen application.")
        return app
    for name in ("app", "application"):
        app = getattr(module, name, None)
        if isinstance(app, Erlen):
            return app
    found = [v for v in vars(module).values() if isinstance(v, Erlen)]
    if len(found) == 1:
        return found[0]
    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if callable(factory):
            return t.cast("Erlen", factory())
    raise NoAppException(f"Could not find an erlen application in module {module_name!r}.")


def with_appcontext(f: F) -> F:
    """Run the decorated command inside the app's application context."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        from .globals import _cv_app

        if _cv_app.get(None) is None:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return t.cast(F, functools.update_wrapper(decorator, f))


class AppGroup(click.Group):
    """A click group whose commands run in an app context (``app.cli``)."""

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:  # type: ignore[override]
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            return click.Group.command(self, *args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Any:  # type: ignore[override]
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)


@click.command("run", short_help="Run a development server.")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to bind to.")
@click.option("--port", "-p", default=5000, type=int, help="The port to bind to.")
@click.option("--reload/--no-reload", default=None, help="Restart when code changes.")
@pass_script_info
def run_command(info: ScriptInfo, host: str, port: int, reload: bool | None) -> None:
    """Serve the app over HTTP/1.1 on the development server."""
    app = info.load_app()
    app.run(host=host, port=port, use_reloader=reload, load_dotenv=False)


@click.command("routes", short_help="Show the routes for the app.")
@with_appcontext
def routes_command() -> None:
    """List every URL rule with its endpoint and methods."""
    from .globals import current_app

    rules = sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule)
    for rule in rules:
        methods = ", ".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        click.echo(f"{rule.endpoint:30} {methods:20} {rule.rule}")


class ErlenGroup(AppGroup):
    """The ``erlen`` command group: built-in commands plus the app's ``app.cli`` commands."""

    def __init__(self, **kwargs: t.Any) -> None:
        params = list(kwargs.pop("params", None) or ())
        params.append(
            click.Option(
                ["--app", "-A"],
                help="module:name of the app.",
                expose_value=False,
                callback=_set_app,
                is_eager=True,
            )
        )
        super().__init__(params=params, **kwargs)
        self.add_command(run_command)
        self.add_command(routes_command)
        from .sessions.commands import sessions_command  # NOTE: here: it imports this module

        self.add_command(sessions_command)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException:
            return None
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except NoAppException:
            pass
        return sorted(names)


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value


FlaskGroup = ErlenGroup
cli = ErlenGroup(name="erlen", help="Run and manage an erlen application.")


def main() -> None:
    cli.main()
