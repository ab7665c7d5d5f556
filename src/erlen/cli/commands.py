"""The built-in commands of ``erlen``: ``run``, ``routes`` and ``shell``, with Flask's options.

``run`` hands every option to the development server through one call (:func:`serve`), so the
server behind it can change without touching the command.
"""

from __future__ import annotations

import os
import ssl
import sys
import typing as t

import click

from .discovery import ScriptInfo, pass_script_info, with_appcontext
from .env import debug_option, get_debug_flag, show_debug_mode


class CertParamType(click.ParamType):
    """``--cert``: a certificate file, ``adhoc``, or the import path of an ``ssl.SSLContext``."""

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        if isinstance(value, ssl.SSLContext):
            return value
        try:
            return self.path_type(value, param, ctx)
        except click.BadParameter:
            text = str(click.STRING(value, param, ctx)).lower()
            if text == "adhoc":
                try:
                    import cryptography  # noqa: F401
                except ImportError:
                    raise click.BadParameter(
                        "Using ad-hoc certificates requires the cryptography library"
                        " (pip install cryptography).",
                        ctx,
                        param,
                    ) from None
                return text
            from .discovery import _import, prepare_import

            # ``module.attr``, or a bare name whose import is itself the context (as Flask's
            # import path allows: a module that replaced itself in sys.modules).
            module_name, _, attr = value.rpartition(".")
            obj = None
            try:
                if module_name and attr:
                    module = _import(prepare_import(module_name), raise_if_not_found=False)
                    obj = getattr(module, attr, None)
                elif attr.isidentifier():
                    obj = _import(prepare_import(attr), raise_if_not_found=False)
            except click.ClickException:
                obj = None
            if isinstance(obj, ssl.SSLContext):
                return obj
            raise click.BadParameter(
                f"{value!r} is not an existing file, 'adhoc', or the import path of an"
                " ssl.SSLContext.",
                ctx,
                param,
            ) from None


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    """``--key`` goes with a certificate file, and only with one; the pair becomes ``cert``."""
    cert = ctx.params.get("cert")
    is_adhoc = cert == "adhoc"
    is_context = isinstance(cert, ssl.SSLContext)
    if value is not None:
        if is_adhoc:
            raise click.BadParameter('When "--cert" is "adhoc", "--key" is not used.', ctx, param)
        if is_context:
            raise click.BadParameter(
                'When "--cert" is an SSLContext object, "--key" is not used.', ctx, param
            )
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = (cert, value)
    elif cert and not (is_adhoc or is_context):
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A list of paths separated by ``os.pathsep`` (``:`` on POSIX, ``;`` on Windows)."""

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        if isinstance(value, list):
            return value
        items = [item for item in self.split_envvar_value(value) if item]
        return [super(SeparatedPathType, self).convert(item, param, ctx) for item in items]

    def split_envvar_value(self, rv: str) -> t.Sequence[str]:
        return rv.split(os.pathsep)


def serve(
    app: t.Any,
    host: str,
    port: int,
    *,
    use_reloader: bool,
    use_debugger: bool,
    threaded: bool,
    ssl_context: t.Any,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Serve ``app`` on the development server; the one place ``erlen run`` reaches the server."""
    from ..serving import devserver

    devserver.run_simple(
        host,
        port,
        app,
        use_reloader=use_reloader,
        use_debugger=use_debugger,
        threaded=threaded,
        ssl_context=ssl_context,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


@click.command("run", short_help="Run a development server.")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to bind to.")
@click.option(
    "--port", "-p", default=5000, type=click.IntRange(0, 65535), help="The port to bind to."
)
@click.option(
    "--cert",
    type=CertParamType(),
    is_eager=True,
    help="Specify a certificate file to use HTTPS ('adhoc' for a throwaway self-signed one).",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file to use when specifying a certificate.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Enable or disable the reloader. By default the reloader is active if debug is enabled.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Enable or disable the debugger. By default the debugger is active if debug is enabled.",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help="Enable or disable multithreading.",
)
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help="Extra files that trigger a reload on change. Multiple paths are separated by"
    f" {os.path.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help="Files matching these fnmatch patterns will not trigger a reload on change. Multiple"
    f" patterns are separated by {os.path.pathsep!r}.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    cert: t.Any,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run a local development server.

    This server is for development purposes only. It does not provide the stability, security,
    or performance of production WSGI servers. The reloader and debugger are enabled by default
    with the '--debug' option.
    """
    app = info.load_app()
    debug = get_debug_flag()
    if reload is None:
        reload = debug
    if debugger is None:
        debugger = debug
    show_debug_mode(debug)
    from ..serving.devserver import BindError

    try:
        serve(
            app,
            host,
            port,
            use_reloader=reload,
            use_debugger=debugger,
            threaded=with_threads,
            ssl_context=cert,
            extra_files=extra_files,
            exclude_patterns=exclude_patterns,
        )
    except BindError as e:
        raise click.ClickException(e.message(port_option="'--port'")) from None


# ``erlen run --debug`` works as ``erlen --debug run`` (Flask's documentation uses both).
run_command.params.insert(0, debug_option)

_ROUTE_SORTS = ("endpoint", "methods", "domain", "rule", "match")


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(_ROUTE_SORTS),
    default="endpoint",
    help="Method to sort routes by. 'match' is the order that erlen will match routes when"
    " dispatching a request.",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show all registered routes with endpoints and methods."""
    from ..globals import current_app

    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    hidden = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching

    def domain(rule: t.Any) -> str:
        return (rule.host if host_matching else rule.subdomain) or ""

    with_domain = any(domain(rule) for rule in rules)
    header = ["Endpoint", "Methods"]
    if with_domain:
        header.append("Host" if host_matching else "Subdomain")
    header.append("Rule")
    rows = []
    for rule in rules:
        # NOTE: a WebSocket rule's GET is only its handshake: a plain GET there is a 400, so the
        # column names the protocol instead (Quart prints GET, and GET, HEAD, OPTIONS).
        if getattr(rule, "websocket", False):
            methods = "WEBSOCKET"
        else:
            methods = ", ".join(sorted((rule.methods or set()) - hidden))
        row = [rule.endpoint, methods]
        if with_domain:
            row.append(domain(rule))
        row.append(rule.rule)
        rows.append(row)
    # "match" keeps the map's own order; "domain" sorts only when that column is shown.
    column = {"endpoint": 0, "methods": 1, "rule": len(header) - 1}
    if with_domain:
        column["domain"] = 2
    if sort in column:
        index = column[sort]
        rows.sort(key=lambda r: r[index])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        # NOTE: cells are padded to the column width, the last one too, exactly as Flask prints.
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the context of the app, with ``app``, ``g`` and the
    names from ``shell_context_processor`` functions already defined."""
    import code

    from ..globals import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\n"
        f"Instance: {app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as f:
            exec(compile(f.read(), startup, "exec"), namespace)
    namespace.update(app.make_shell_context())
    hook = getattr(sys, "__interactivehook__", None)
    # NOTE: the site hook sets up readline history in ~/.python_history; only for a terminal.
    if hook is not None and sys.stdin is not None and sys.stdin.isatty():
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        hook()
    code.interact(banner=banner, local=namespace, exitmsg="")
