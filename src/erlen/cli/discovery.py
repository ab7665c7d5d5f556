"""How the ``erlen`` command finds the app, and how app commands get their application context.

``--app`` accepts what Flask's does: ``module``, ``module:name``, ``module:factory(args)`` (the
arguments are Python literals, read with :func:`ast.literal_eval`, never executed), a path to a
``.py`` file or to a package folder (``src/hello``). Without ``--app`` the CLI tries ``wsgi.py``
then ``app.py`` in the working directory. In a module it takes the ``app`` or ``application``
attribute, else the only app instance, else calls ``create_app()`` or ``make_app()``.

On the command line every failure is a :class:`NoAppException`: one line, exit code 2, no
traceback (the traceback is printed too in debug mode). Called from Python, :func:`locate_app`,
:func:`find_best_app` and :func:`find_app_by_string` behave as Flask's do: an app that cannot be
found, or a module whose own imports fail, is a :class:`NoAppException`, but any other exception
the app's code raises (a factory's ``TypeError``, a ``RuntimeError`` at import) reaches the
caller unchanged. ``wrap`` (internal) selects the command line's behaviour.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import os
import re
import sys
import traceback
import typing as t

import click

from .env import get_debug_flag, get_load_dotenv

if t.TYPE_CHECKING:
    from ..app import Erlen

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class NoAppException(click.UsageError):
    """The app could not be found, imported or built."""

    def show(self, file: t.IO[t.Any] | None = None) -> None:
        # NOTE: a UsageError normally prints the usage and a hint first; an app that cannot be
        # found is explained by its one line alone.
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


class AppNotLocated(NoAppException):
    """No app was named and none was found in the working directory (nothing was imported)."""


def _is_app(value: object) -> bool:
    from ..app import Erlen

    return isinstance(value, Erlen)


def _describe(error: BaseException) -> str:
    """``Type: message (file, line n)`` for an error raised while importing or calling user code."""
    # One line, whatever the message holds.
    text = " ".join(f"{type(error).__name__}: {error}".split())
    if isinstance(error, SyntaxError) and error.filename:
        return f"{type(error).__name__}: {error.msg} ({error.filename}, line {error.lineno})"
    # The deepest frame of the app's own code (importlib's frozen frames say nothing useful).
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith("<")
    ]
    if frames:
        last = frames[-1]
        text += f" ({last.filename}, line {last.lineno})"
    return text


def _user_code_failed(what: str, error: BaseException) -> NoAppException:
    """The one-line error for an exception raised by the app's own code."""
    if get_debug_flag():
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    return NoAppException(f"{what}, an error was raised: {_describe(error)}")


def prepare_import(path: str) -> str:
    """Turn a module name or a file/package path into an importable module name.

    The folder above the outermost package goes first on ``sys.path``, so ``src/hello`` imports
    as ``hello`` and ``proj/pkg/mod.py`` (with ``pkg/__init__.py``) as ``pkg.mod``.
    """
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def _parse_attribute(text: str) -> tuple[str, list[t.Any] | None, dict[str, t.Any]]:
    """``name`` or ``name(literal args)`` -> (name, args or None if not a call, kwargs)."""
    try:
        expr = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Failed to parse {text!r} as an attribute name or function call."
        ) from None
    if isinstance(expr, ast.Name):
        return expr.id, None, {}
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name)):
        raise NoAppException(f"Failed to parse {text!r} as an attribute name or function call.")
    # SECURITY: literal_eval accepts only literals (strings, numbers, tuples, lists, dicts, sets,
    # booleans, None): nothing from the command line is ever executed.
    try:
        args = [ast.literal_eval(arg) for arg in expr.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg is not None}
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        # ValueError: not a literal; TypeError: e.g. an unhashable dict key; the others: a
        # literal too deep or too big to build.
        raise NoAppException(f"Failed to parse arguments as literal values: {text!r}.") from None
    if any(kw.arg is None for kw in expr.keywords):
        raise NoAppException(f"Failed to parse arguments as literal values: {text!r}.")
    return expr.func.id, args, kwargs


def _call_factory(
    module: t.Any,
    name: str,
    factory: t.Any,
    args: list[t.Any],
    kwargs: dict[str, t.Any],
    wrap: bool,
) -> t.Any:
    """Call an app factory; a wrong signature is a NoAppException, an error inside it too if
    ``wrap`` (else it propagates, as from Flask's)."""
    try:
        inspect.signature(factory).bind(*args, **kwargs)
    except TypeError:
        shown = f"{name}()" if not (args or kwargs) else f"{name}(...)"
        raise NoAppException(
            f"The factory {shown} in module {module.__name__!r} could not be called with the"
            " specified arguments."
        ) from None
    except ValueError:
        pass  # no signature to check (a builtin): just call it
    if not wrap:
        return factory(*args, **kwargs)
    try:
        return factory(*args, **kwargs)
    except Exception as e:
        raise _user_code_failed(f"While calling {name!r} in {module.__name__!r}", e) from None


def find_app_by_string(module: t.Any, app_name: str, *, wrap: bool = False) -> Erlen:
    """The app named by ``name`` or built by ``factory(args)`` in ``module``."""
    name, args, kwargs = _parse_attribute(app_name)
    try:
        attr = getattr(module, name)
    except AttributeError:
        raise NoAppException(f"Failed to find attribute {name!r} in {module.__name__!r}.") from None
    if inspect.isfunction(attr):
        app = _call_factory(module, name, attr, args or [], kwargs, wrap)
    elif args is not None:
        raise NoAppException(f"{name!r} in {module.__name__!r} is not a function; cannot call it.")
    else:
        app = attr
    if _is_app(app):
        return t.cast("Erlen", app)
    raise NoAppException(
        f"A valid erlen application was not obtained from '{module.__name__}:{app_name}'."
    )


def find_best_app(module: t.Any, *, wrap: bool = False) -> Erlen:
    """``app``/``application``, else the single app instance, else ``create_app``/``make_app``."""
    for name in ("app", "application"):
        if _is_app(getattr(module, name, None)):
            return t.cast("Erlen", getattr(module, name))
    found = [value for value in list(vars(module).values()) if _is_app(value)]
    if len(found) == 1:
        return t.cast("Erlen", found[0])
    if len(found) > 1:
        raise NoAppException(
            f"Detected multiple erlen applications in module {module.__name__!r}. Use"
            f" 'erlen --app {module.__name__}:name' to specify the correct one."
        )
    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            app = _call_factory(module, name, factory, [], {}, wrap)
            if _is_app(app):
                return t.cast("Erlen", app)
            raise NoAppException(
                f"{name}() in module {module.__name__!r} did not return an erlen application."
            )
    raise NoAppException(
        f"Failed to find an erlen application or factory in module {module.__name__!r}. Use"
        f" 'erlen --app {module.__name__}:name' to specify one."
    )


def _import(module_name: str, raise_if_not_found: bool, wrap: bool = True) -> t.Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        # NOTE: "not found" only if the missing module is the one asked for (or a parent of
        # it); a missing import *inside* the app is the app's error, and says so.
        missing = e.name or ""
        if missing == module_name or module_name.startswith(missing + "."):
            if not raise_if_not_found:
                return None
            raise NoAppException(
                f"Could not import {module_name!r}: no such module in {os.getcwd()!r} or on"
                " sys.path."
            ) from None
        raise _user_code_failed(f"While importing {module_name!r}", e) from None
    except ImportError as e:
        raise _user_code_failed(f"While importing {module_name!r}", e) from None
    except Exception as e:
        if not wrap:
            raise
        raise _user_code_failed(f"While importing {module_name!r}", e) from None


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True, *, wrap: bool = False
) -> t.Any:
    """Import ``module_name`` and find the app in it (``app_name`` as in ``module:app_name``)."""
    module = _import(module_name, raise_if_not_found, wrap)
    if module is None:
        return None
    if app_name is None:
        return find_best_app(module, wrap=wrap)
    return find_app_by_string(module, app_name, wrap=wrap)


# A colon that is not part of a Windows drive (``C:\...``) separates the module from the name.
_APP_SPLIT = re.compile(r":(?![\\/])")


class ScriptInfo:
    """What the CLI knows about the app: its ``--app`` import path or a ``create_app`` callable.

    ``data`` is free for custom commands to share values. ``load_app`` imports once and caches.
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Erlen] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self.data: dict[t.Any, t.Any] = {}
        self._loaded_app: Erlen | None = None

    def load_app(self) -> Erlen:
        """Find, import and return the app (the same object on every call)."""
        if self._loaded_app is not None:
            return self._loaded_app
        app: t.Any = None
        if self.create_app is not None:
            try:
                app = self.create_app()
            except NoAppException:
                raise
            except Exception as e:
                raise _user_code_failed("While calling the create_app function", e) from None
        elif self.app_import_path:
            parts = _APP_SPLIT.split(self.app_import_path, maxsplit=1)
            path, name = parts[0], (parts[1] if len(parts) > 1 else None)
            if not path:
                raise NoAppException(f"Invalid --app value {self.app_import_path!r}: no module.")
            app = locate_app(prepare_import(path), name, wrap=True)
        else:
            for candidate in ("wsgi.py", "app.py"):
                if os.path.isfile(candidate):
                    app = locate_app(
                        prepare_import(candidate), None, raise_if_not_found=False, wrap=True
                    )
                    if app is not None:
                        break
        if app is None:
            raise AppNotLocated(
                "Could not locate an erlen application. Use the 'erlen --app' option, the"
                " 'ERLEN_APP' (or 'FLASK_APP') environment variable, or a 'wsgi.py' or 'app.py'"
                " file in the current directory."
            )
        if self.set_debug_flag:
            # Through the property, so that everything derived from debug follows.
            app.debug = get_debug_flag()
        self._loaded_app = app
        return t.cast("Erlen", app)


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def push_app_context(ctx: click.Context) -> None:
    """Push the app's context for the rest of ``ctx`` unless that app's context is active."""
    from ..globals import _cv_app

    app = ctx.ensure_object(ScriptInfo).load_app()
    current = _cv_app.get(None)
    if current is None or current.app is not app:
        ctx.with_resource(app.app_context())


def with_appcontext(f: F) -> F:
    """Run the decorated click command inside the app's application context."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        from ..globals import _cv_app

        if _cv_app.get(None) is None:
            push_app_context(ctx)
        return ctx.invoke(f, *args, **kwargs)

    return t.cast(F, functools.update_wrapper(decorator, f))


class AppGroup(click.Group):
    """A click group whose commands run in an app context (``app.cli``, ``bp.cli``).

    ``command()`` wraps with :func:`with_appcontext` unless given ``with_appcontext=False``;
    ``group()`` makes nested ``AppGroup``\\ s. Invoked as the top-level group (as
    ``app.test_cli_runner()`` does), it pushes the app context for every subcommand, also the
    ones added with ``add_command``, as ``erlen`` does.
    """

    #: Whether invoking this group on its own pushes the app context (``erlen`` pushes it itself).
    push_context_when_top_level = True

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:  # type: ignore[override]
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return self.command()(args[0])  # bare ``@app.cli.command``
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            return click.Group.command(self, *args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Any:  # type: ignore[override]
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)

    def invoke(self, ctx: click.Context) -> t.Any:
        if (
            self.push_context_when_top_level
            and ctx.parent is None
            and isinstance(ctx.obj, ScriptInfo)
        ):
            push_app_context(ctx)
        return super().invoke(ctx)
