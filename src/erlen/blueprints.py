"""Blueprints: a group of routes and hooks registered on an app, under a prefix and a name.

A blueprint records what it is asked to do and replays it on each ``register``: routes get the
``url_prefix`` and the endpoint ``<name>.<view>`` (``parent.child.view`` when nested), and its
hooks are merged into the app's registries under its dotted name.
"""

from __future__ import annotations

import os
import typing as t
from collections import defaultdict

from .scaffold import Scaffold, _endpoint_from_view_func

if t.TYPE_CHECKING:
    from .app import Erlen

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]
_sentinel: t.Any = object()


class BlueprintSetupState:
    """One registration of a blueprint on an app; passed to ``record`` callbacks."""

    def __init__(
        self, blueprint: Blueprint, app: Erlen, options: t.Any, first_registration: bool
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = self.options.get("subdomain")
        if subdomain is None:
            subdomain = self.blueprint.subdomain
        self.subdomain = subdomain
        url_prefix = self.options.get("url_prefix")
        if url_prefix is None:
            url_prefix = self.blueprint.url_prefix
        self.url_prefix = url_prefix
        self.name = self.options.get("name", blueprint.name)
        self.name_prefix = self.options.get("name_prefix", "")
        self.url_defaults = dict(self.blueprint.url_values_defaults)
        self.url_defaults.update(self.options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        """Add a rule to the app with this registration's prefix, name and defaults."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A reusable group of views, hooks, templates and static files.

    >>> bp = Blueprint("drawing", __name__, url_prefix="/drawing")
    >>> @bp.route("/add_watermark")
    ... def add_watermark():
    ...     return "watermark added"
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults or {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any changes will"
                " not be applied consistently.\nMake sure all imports, decorators, functions,"
                " etc. needed to set up the blueprint are done before registering it."
            )

    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` on every registration of this blueprint."""
        self._check_setup_finished("record")
        self.deferred_functions.append(func)

    def record_once(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` on the first registration only."""
        self._check_setup_finished("record_once")

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(wrapper)

    def make_setup_state(
        self, app: Erlen, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        return BlueprintSetupState(self, app, options, first_registration)

    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one; its endpoints become ``<self>.<child>.<view>``."""
        self._check_setup_finished("register_blueprint")
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Erlen, options: dict[str, t.Any]) -> None:
        """Replay this blueprint's routes and hooks on ``app`` (``app.register_blueprint``)."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for {bp_desc}"
                f" blueprint{existing_at}. Use 'name=' to provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        if first_bp_registration or first_name_registration:
            self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_cli(app, options, name)
        for blueprint, bp_options in self._blueprints:
            blueprint.register(app, self._child_options(state, blueprint, bp_options, name))

    @staticmethod
    def _child_options(
        state: BlueprintSetupState, blueprint: Blueprint, bp_options: dict[str, t.Any], name: str
    ) -> dict[str, t.Any]:
        bp_options = bp_options.copy()
        bp_subdomain = bp_options.get("subdomain")
        if bp_subdomain is None:
            bp_subdomain = blueprint.subdomain
        if state.subdomain is not None and bp_subdomain is not None:
            bp_options["subdomain"] = f"{bp_subdomain}.{state.subdomain}"
        elif bp_subdomain is not None:
            bp_options["subdomain"] = bp_subdomain
        elif state.subdomain is not None:
            bp_options["subdomain"] = state.subdomain
        bp_url_prefix = bp_options.get("url_prefix")
        if bp_url_prefix is None:
            bp_url_prefix = blueprint.url_prefix
        if state.url_prefix is not None and bp_url_prefix is not None:
            bp_options["url_prefix"] = (
                state.url_prefix.rstrip("/") + "/" + bp_url_prefix.lstrip("/")
            )
        elif bp_url_prefix is not None:
            bp_options["url_prefix"] = bp_url_prefix
        elif state.url_prefix is not None:
            bp_options["url_prefix"] = state.url_prefix
        bp_options["name_prefix"] = name
        return bp_options

    def _register_cli(self, app: Erlen, options: dict[str, t.Any], name: str) -> None:
        if not self.cli.commands:
            return
        group = options.get("cli_group", self.cli_group)
        if group is None:
            app.cli.commands.update(self.cli.commands)
        else:
            self.cli.name = name if group is _sentinel else group
            app.cli.add_command(self.cli)

    def _merge_blueprint_funcs(self, app: Erlen, name: str) -> None:
        def extend(
            bp_dict: dict[t.Any, list[t.Any]], parent_dict: dict[t.Any, list[t.Any]]
        ) -> None:
            for key, values in bp_dict.items():
                key = name if key is None else f"{name}.{key}"
                parent_dict[key].extend(values)

        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            app.error_handler_spec[key] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in value.items()}
            )
        for endpoint, func in self.view_functions.items():
            app.view_functions[endpoint] = func
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.before_websocket_funcs, app.before_websocket_funcs)
        extend(self.after_websocket_funcs, app.after_websocket_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a URL rule, added to the app with the prefix when registered."""
        self._check_setup_finished("add_url_rule")
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and "." in getattr(view_func, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- app-wide forms: registered on the app, run for every request -------------------------

    def _on_app(self, f: F, action: t.Callable[[Erlen], None], f_name: str) -> F:
        self._check_setup_finished(f_name)
        self.record_once(lambda s: action(s.app))
        return f

    def before_app_request(self, f: F) -> F:
        """``before_request`` for every request of the app, not only this blueprint's."""
        return self._on_app(
            f, lambda app: app.before_request_funcs[None].append(f), "before_app_request"
        )

    def after_app_request(self, f: F) -> F:
        return self._on_app(
            f, lambda app: app.after_request_funcs[None].append(f), "after_app_request"
        )

    def teardown_app_request(self, f: F) -> F:
        return self._on_app(
            f, lambda app: app.teardown_request_funcs[None].append(f), "teardown_app_request"
        )

    def app_context_processor(self, f: F) -> F:
        return self._on_app(
            f, lambda app: app.template_context_processors[None].append(f), "app_context_processor"
        )

    def app_url_value_preprocessor(self, f: F) -> F:
        return self._on_app(
            f, lambda app: app.url_value_preprocessors[None].append(f), "app_url_value_preprocessor"
        )

    def app_url_defaults(self, f: F) -> F:
        return self._on_app(
            f, lambda app: app.url_default_functions[None].append(f), "app_url_defaults"
        )

    def app_errorhandler(self, code: type[Exception] | int) -> t.Callable[[F], F]:
        """``errorhandler`` for the whole app."""

        def decorator(f: F) -> F:
            return self._on_app(
                f, lambda app: app.register_error_handler(code, f), "app_errorhandler"
            )

        return decorator

    def _app_template(self, kind: str, name: t.Any) -> t.Any:
        def decorator(f: F) -> F:
            getattr(self, f"add_app_template_{kind}")(f, name=name)
            return f

        if callable(name):
            f, name = name, None
            return decorator(f)
        return decorator

    def app_template_filter(self, name: t.Any = None) -> t.Any:
        """Register a Jinja filter on the app."""
        return self._app_template("filter", name)

    def add_app_template_filter(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self._on_app(
            f, lambda app: app.add_template_filter(f, name=name), "add_app_template_filter"
        )

    def app_template_test(self, name: t.Any = None) -> t.Any:
        return self._app_template("test", name)

    def add_app_template_test(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self._on_app(f, lambda app: app.add_template_test(f, name=name), "add_app_template_test")

    def app_template_global(self, name: t.Any = None) -> t.Any:
        return self._app_template("global", name)

    def add_app_template_global(self, f: t.Callable[..., t.Any], name: str | None = None) -> None:
        self._on_app(
            f, lambda app: app.add_template_global(f, name=name), "add_app_template_global"
        )
