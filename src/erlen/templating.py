"""Jinja integration: the app's environment, template lookup across blueprints, and rendering.

The public functions keep Flask's names and behaviour::

    from erlen import render_template

    @app.route("/hello/<name>")
    def hello(name):
        return render_template("hello.html", name=name)

Invariants kept here:

- Lookup order: the application's ``template_folder`` first, then each blueprint's folder in
  registration order; the first loader that has the template wins.
- Context order: context processors for the app (``None``) run first, then those of the
  request's blueprints from the outermost to the innermost; values passed to the render call
  always win over processor values.
- ``before_render_template`` is sent before rendering and ``template_rendered`` after it, both
  with ``(app, template=..., context=...)``, and only when someone listens.
"""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

from jinja2 import BaseLoader, TemplateNotFound, nodes
from jinja2 import Environment as _JinjaEnvironment
from jinja2.nodes import EvalContext
from jinja2.utils import LRUCache

from . import signals
from .globals import _NO_CONTEXT, _get_context, current_app, g, request, session
from .jinja_fast import FastEnvironment

if t.TYPE_CHECKING:
    from jinja2 import Template

    from .app import Erlen

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "create_jinja_environment",
    "default_template_ctx_processor",
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "select_jinja_autoescape",
    "stream_template",
    "stream_template_string",
    "update_template_context",
]

# Extensions whose templates are HTML-like and so are autoescaped.
_AUTOESCAPE_EXTENSIONS = (".html", ".htm", ".xml", ".xhtml", ".svg")


class _WatchedDict(dict):  # type: ignore[type-arg]
    """A dict that calls ``on_change()`` after every mutation (for ``filters`` and ``tests``)."""

    def __init__(self, data: dict[str, t.Any], on_change: t.Callable[[], None]) -> None:
        super().__init__(data)
        self.on_change = on_change

    def __setitem__(self, key: str, value: t.Any) -> None:
        super().__setitem__(key, value)
        self.on_change()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.on_change()

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().update(*args, **kwargs)
        self.on_change()

    def pop(self, *args: t.Any) -> t.Any:
        rv = super().pop(*args)
        self.on_change()
        return rv

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        rv = super().setdefault(key, default)
        self.on_change()
        return rv

    def clear(self) -> None:
        super().clear()
        self.on_change()


class Environment(FastEnvironment):
    """A Jinja environment bound to an app, loading templates through its blueprints.

    Created by :func:`create_jinja_environment` and available as ``app.jinja_env``.
    """

    #: How many templates compiled from source strings (``render_template_string``) are kept.
    string_cache_size: int = 256

    def __init__(self, app: Erlen, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        self.string_cache: LRUCache | None = None
        super().__init__(**options)
        self.app = app
        # PERF: Flask recompiles the source on every ``render_template_string`` call: a parse
        # and a ``compile()``, ~4 ms against ~0.15 ms to render a small loop template. Compiled
        # templates are stateless and look filters and globals up at render time, so they are
        # reused.
        # ``cache_size=0`` in ``jinja_options`` turns this cache off like Jinja's own.
        # NOTE: compilation does depend on the environment's settings, and Jinja folds
        # constant expressions by calling filters and tests (``{{ "a"|upper }}``), so any
        # setting change, extension or filter/test replacement empties the cache: the result
        # is always what a fresh compile (Flask's behaviour) would give.
        self.filters = _WatchedDict(self.filters, self.clear_string_cache)
        self.tests = _WatchedDict(self.tests, self.clear_string_cache)
        self._new_string_cache()

    def _new_string_cache(self) -> None:
        cache = LRUCache(self.string_cache_size) if self.cache is not None else None
        object.__setattr__(self, "string_cache", cache)

    def __setattr__(self, name: str, value: t.Any) -> None:
        super().__setattr__(name, value)
        cache = self.__dict__.get("string_cache")
        if cache is not None:
            cache.clear()

    def clear_string_cache(self) -> None:
        """Forget every template compiled by :meth:`from_string_cached`."""
        cache = self.__dict__.get("string_cache")
        if cache is not None:
            cache.clear()

    def add_extension(self, extension: str | type[t.Any]) -> None:
        """Add an extension after creation (it may change how templates compile)."""
        super().add_extension(extension)
        self.clear_string_cache()

    def overlay(self, **kwargs: t.Any) -> _JinjaEnvironment:  # type: ignore[override]
        """Jinja's overlay; it compiles strings afresh (it shares ``filters`` with this one)."""
        # NOTE: Jinja copies this environment's ``__dict__`` into the overlay; detach the cache
        # meanwhile so the overlay gets none and its setting changes do not clear ours.
        cache = self.__dict__.get("string_cache")
        object.__setattr__(self, "string_cache", None)
        try:
            return super().overlay(**kwargs)
        finally:
            object.__setattr__(self, "string_cache", cache)

    def from_string_cached(self, source: str) -> Template:
        """Compile ``source`` once and return the same :class:`~jinja2.Template` afterwards.

        >>> env = app.jinja_env
        >>> env.from_string_cached("{{ 1 + 1 }}") is env.from_string_cached("{{ 1 + 1 }}")
        True
        """
        cache = self.string_cache
        if cache is None:
            return self.from_string(source)
        template: Template | None = cache.get(source)
        if template is None:
            template = self.from_string(source)
            if not self._folds_filters(source):
                cache[source] = template
        return template

    def _folds_filters(self, source: str) -> bool:
        """Whether compiling ``source`` calls a filter or test on a constant (Jinja folds it).

        NOTE: a folded call's result is baked into the compiled code, and a filter may depend on
        the request (Flask-Babel's ``{{ 1234.5|decimalformat }}`` follows the request's locale), so
        such a template is compiled afresh each time, as Flask does, instead of cached.
        """
        eval_ctx = EvalContext(self)
        for node in self.parse(source).find_all((nodes.Filter, nodes.Test)):
            if node.node is None:
                continue
            try:
                node.node.as_const(eval_ctx)
            except Exception:  # NOTE: Impossible, or an error the real compile reports
                continue
            return True
        return False


class DispatchingJinjaLoader(BaseLoader):
    """Find a template in the app's folder, then in each blueprint's folder in order.

    With ``EXPLAIN_TEMPLATE_LOADING`` set, every loader is tried and the attempts are logged
    through ``app.logger.info`` to debug "wrong template" problems.
    """

    def __init__(self, app: Erlen) -> None:
        self.app = app

    def get_source(
        self, environment: _JinjaEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        """Return ``(source, filename, uptodate)`` from the first loader that has ``template``."""
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _owner, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(
        self, environment: _JinjaEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        attempts: list[tuple[t.Any, BaseLoader, tuple[str, str | None, t.Any] | None]] = []
        found: tuple[str, str | None, t.Callable[[], bool] | None] | None = None
        for owner, loader in self._iter_loaders():
            try:
                result = loader.get_source(environment, template)
            except TemplateNotFound:
                result = None
            if found is None:
                found = result
            attempts.append((owner, loader, result))
        _explain_attempts(self.app, template, attempts)
        if found is None:
            raise TemplateNotFound(template)
        return found

    def _iter_loaders(self) -> Iterator[tuple[t.Any, BaseLoader]]:
        app = self.app
        loader = app.jinja_loader
        if loader is not None:
            yield app, loader
        for blueprint in app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def list_templates(self) -> list[str]:
        """Every template name any of the loaders can find (each name once)."""
        names: set[str] = set()
        for _owner, loader in self._iter_loaders():
            names.update(loader.list_templates())
        return sorted(names)


def _describe_loader(loader: BaseLoader) -> list[str]:
    """Lines describing where ``loader`` searches, for the template-loading explanation."""
    lines = [f"class: {type(loader).__module__}.{type(loader).__name__}"]
    for key, value in sorted(vars(loader).items()):
        if key.startswith("_"):
            continue
        if isinstance(value, (tuple, list)) and all(isinstance(x, str) for x in value):
            lines.append(f"{key}:")
            lines.extend(f"  - {item}" for item in value)
        elif isinstance(value, (str, int, float, bool)):
            lines.append(f"{key}: {value!r}")
    return lines


def _explain_attempts(
    app: Erlen,
    template: str,
    attempts: list[tuple[t.Any, BaseLoader, tuple[str, str | None, t.Any] | None]],
) -> None:
    """Log which loaders were asked for ``template`` and what each answered."""
    lines = [f"Locating template {template!r}:"]
    matches = 0
    for number, (owner, loader, result) in enumerate(attempts, 1):
        if owner is app:
            where = f"application {app.import_name!r}"
        else:
            where = f"blueprint {owner.name!r} ({owner.import_name})"
        lines.append(f"{number:5}: trying loader of {where}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if result is None:
            lines.append("       -> no match")
        else:
            matches += 1
            lines.append(f"       -> found ({result[1] or '<string>'!r})")
    if matches == 0:
        lines.append("Error: the template could not be found.")
    elif matches > 1:
        lines.append("Warning: multiple loaders returned a match for the template.")
    reqctx = _get_context(_NO_CONTEXT)[1]
    blueprint = getattr(reqctx.request, "blueprint", None) if reqctx is not None else None
    if blueprint is not None and matches != 1:
        lines.append(
            f"  The template was looked up from an endpoint that belongs to the blueprint"
            f" {blueprint!r}.\n  Maybe you did not place a template in the right folder?\n"
            "  The application's templates take priority over every blueprint's.\n"
            # NOTE: Flask's pointer, kept word for word: its docs describe this lookup order.
            "  See https://flask.palletsprojects.com/blueprints/#templates"
        )
    app.logger.info("\n".join(lines))


def select_jinja_autoescape(filename: str | None) -> bool:
    """Whether a template is autoescaped: string templates and HTML/XML/SVG files are.

    >>> select_jinja_autoescape("page.html"), select_jinja_autoescape("mail.txt")
    (True, False)
    """
    if filename is None:
        return True
    return filename.endswith(_AUTOESCAPE_EXTENSIONS)


def create_jinja_environment(app: Erlen) -> Environment:
    """Build ``app.jinja_env`` from ``app.jinja_options`` and the app's configuration.

    Adds Flask's template globals (``url_for``, ``get_flashed_messages``, ``config``,
    ``request``, ``session``, ``g``) and makes ``|tojson`` use ``app.json.dumps``.
    """
    from .app import Erlen
    from .helpers import get_flashed_messages

    options = dict(app.jinja_options)
    if "autoescape" not in options:
        chooser = app.select_jinja_autoescape
        # PERF: Jinja calls this for every render (each new context); erlen's own method only
        # forwards to the module function, so that is handed to Jinja instead: one Python call
        # less a render. A subclass's or the instance's own chooser is used as given.
        if getattr(chooser, "__func__", None) is Erlen.select_jinja_autoescape:
            chooser = select_jinja_autoescape
        options["autoescape"] = chooser
    if "auto_reload" not in options:
        auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
        options["auto_reload"] = app.debug if auto_reload is None else auto_reload
    env_class = getattr(app, "jinja_environment", None) or Environment
    env: Environment = env_class(app, **options)
    env.globals.update(
        url_for=app.url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )
    # NOTE: Jinja's built-in ``tojson`` filter calls ``htmlsafe_json_dumps`` with this function,
    # so the filter serializes dates, UUIDs, dataclasses ... as the app's JSON provider does.
    env.policies["json.dumps_function"] = app.json.dumps
    return env


def default_template_ctx_processor() -> dict[str, t.Any]:
    """Put ``g`` (with an app context) and ``request``, ``session`` (with a request context)
    into every template's context."""
    rv: dict[str, t.Any] = {}
    _put_defaults(rv)
    return rv


def _put_defaults(context: dict[str, t.Any]) -> None:
    """Add ``g``, ``request`` and ``session`` (those of the current contexts) where ``context``
    has no value of that name, in that order."""
    appctx, reqctx = _get_context(_NO_CONTEXT)
    if appctx is not None and "g" not in context:
        context["g"] = appctx.g
    if reqctx is not None:
        if "request" not in context:
            context["request"] = reqctx.request
        if "session" not in context:
            # PERF: the session is opened (cookie verified, store read) on first use. A
            # template that never touches ``session`` must not open it, so until it is open
            # the context holds the ``session`` proxy, which opens it on first access.
            opened = getattr(reqctx, "_session", None)
            context["session"] = opened if opened is not None else session


def update_template_context(app: Erlen, context: dict[str, t.Any]) -> None:
    """Add the context processors' values to ``context``; values already in it win.

    Processors registered on the app run first, then those of the request's blueprints from
    the outermost to the innermost.
    """
    processors = app.template_context_processors
    funcs = processors.get(None, ())
    reqctx = _get_context(_NO_CONTEXT)[1]
    # PERF: the request's blueprint chain is worked out only when some blueprint has
    # processors (``processors`` holds more keys than the app's ``None``).
    blueprints = reqctx is not None and len(processors) > (None in processors)
    if not blueprints and len(funcs) == 1 and funcs[0] is default_template_ctx_processor:
        # PERF: erlen's own processor alone (an app without context processors): its values
        # go straight in where the caller gave none, which is what running it, updating and
        # restoring the caller's values gives (same keys, same order), without the copy and
        # the two dicts (~10k instructions a render).
        _put_defaults(context)
        return
    original = context.copy() if context else None
    for func in funcs:
        # PERF: erlen's own processor is known to be sync; no ensure_sync round trip for it.
        if func is default_template_ctx_processor:
            context.update(func())
        else:
            context.update(app.ensure_sync(func)())
    if blueprints:
        for name in reversed(reqctx.request.blueprints):  # type: ignore[union-attr]
            for func in processors.get(name, ()):
                context.update(app.ensure_sync(func)())
    if original:
        context.update(original)


def _render(app: Erlen, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    if signals.before_render_template.receivers:
        signals.before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    rv = template.render(context)
    if signals.template_rendered.receivers:
        signals.template_rendered.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    return rv


def _stream(app: Erlen, template: Template, context: dict[str, t.Any]) -> Iterator[str]:
    app.update_template_context(context)
    if signals.before_render_template.receivers:
        signals.before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        if signals.template_rendered.receivers:
            signals.template_rendered.send(
                app, _async_wrapper=app.ensure_sync, template=template, context=context
            )

    rv = generate()
    if _get_context(_NO_CONTEXT)[1] is not None:
        from .helpers import stream_with_context

        rv = stream_with_context(rv)
    return rv


def _string_template(app: Erlen, source: str) -> Template:
    env = app.jinja_env
    if isinstance(env, Environment):
        return env.from_string_cached(source)
    return env.from_string(source)  # NOTE: a custom jinja_environment class without the cache


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> str:
    """Render a template from the template folders with ``context``.

    A list of names renders the first one that exists.
    """
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def _current_app() -> Erlen:
    """The current app; outside an app context, ``current_app``'s error."""
    # PERF: the context variable directly, not through the ``current_app`` proxy.
    ctx = _get_context(_NO_CONTEXT)[0]
    if ctx is not None:
        return ctx.app  # type: ignore[no-any-return]
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template given as source text (autoescaped, like an ``.html`` file)."""
    app: Erlen = current_app._get_current_object()  # type: ignore[attr-defined]
    return _render(app, _string_template(app, source), context)


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: t.Any
) -> Iterator[str]:
    """Render a template as an iterator of strings, for a streamed response.

    Inside a request the iterator keeps the request context alive while it runs.
    """
    app: Erlen = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> Iterator[str]:
    """Like :func:`stream_template`, for a template given as source text."""
    app: Erlen = current_app._get_current_object()  # type: ignore[attr-defined]
    return _stream(app, _string_template(app, source), context)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """A macro or variable a template exports, e.g. to call a macro from Python.

    >>> hello = get_template_attribute("_macros.html", "hello")
    >>> hello("World")
    """
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)
