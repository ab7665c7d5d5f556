"""``app.config``: a dict of settings with loaders for files, objects and the environment.

Only UPPERCASE keys are loaded from objects, files and mappings, so a config module can use
lowercase names for its own helpers. Relative file names are resolved against
``Config.root_path`` (the app's root, or its instance folder with
``instance_relative_config=True``).
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import types
import typing as t

if t.TYPE_CHECKING:
    from .app import Erlen

__all__ = ["Config", "ConfigAttribute"]

T = t.TypeVar("T")

# NOTE: errors meaning "the file is not there", which ``silent=True`` turns into ``False``;
# a file that exists but cannot be read (permissions) still raises.
_MISSING_FILE_ERRNOS = (errno.ENOENT, errno.EISDIR, errno.ENOTDIR)


class ConfigAttribute(t.Generic[T]):
    """A class attribute that reads and writes ``app.config[name]``.

    ``get_converter`` is applied to the value read, e.g. turning seconds into a ``timedelta``::

        class Erlen:
            testing = ConfigAttribute[bool]("TESTING")
    """

    def __init__(self, name: str, get_converter: t.Callable[[t.Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: None) -> ConfigAttribute[T]: ...

    @t.overload
    def __get__(self, obj: Erlen, owner: type[Erlen]) -> T: ...

    def __get__(
        self, obj: Erlen | None, owner: type[Erlen] | None = None
    ) -> T | ConfigAttribute[T]:
        if obj is None:
            return self
        rv = obj.config[self.__name__]
        if self.get_converter is not None:
            rv = self.get_converter(rv)
        return rv

    def __set__(self, obj: Erlen, value: t.Any) -> None:
        obj.config[self.__name__] = value


def _import_string(import_name: str) -> t.Any:
    """Import ``"pkg.module"``, ``"pkg.module.attr"`` or ``"pkg.module:attr"``."""
    name = import_name.replace(":", ".")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        # NOTE: only "this exact name is not a module" means "try it as an attribute";
        # a missing module imported *by* the target must surface as is.
        if e.name != name or "." not in name:
            raise
    module_name, attr = name.rsplit(".", 1)
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError as e:
        raise ImportError(f"module {module_name!r} has no attribute {attr!r}") from e


def _reraise_or_false(e: OSError, silent: bool) -> bool:
    if silent and e.errno in _MISSING_FILE_ERRNOS:
        return False
    e.strerror = f"Unable to load configuration file ({e.strerror})"
    raise e


class Config(dict):
    """A dict of configuration values that can load itself from several sources.

    >>> config = Config("/srv/app", {"DEBUG": False})
    >>> config.from_mapping(SECRET_KEY="dev", lowercase="ignored")
    True
    >>> sorted(config)
    ['DEBUG', 'SECRET_KEY']
    """

    #: Counts the changes made through the dict's methods, so that what is derived from the
    #: config (the cookie session's settings) is worked out again only after one. NOTE: a
    #: mutable value changed in place (a list appended to) does not count.
    _version = 0

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: dict[str, t.Any] | None = None,
    ) -> None:
        super().__init__(defaults or {})
        self.root_path = root_path

    # NOTE: dict's C methods do not call __setitem__, so each way to change the dict counts.
    def __setitem__(self, key: str, value: t.Any) -> None:
        dict.__setitem__(self, key, value)
        self._version += 1

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        self._version += 1

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        dict.update(self, *args, **kwargs)
        self._version += 1

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self._version += 1
        return dict.setdefault(self, key, default)

    def pop(self, key: str, *default: t.Any) -> t.Any:
        self._version += 1
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[str, t.Any]:
        self._version += 1
        return dict.popitem(self)

    def clear(self) -> None:
        dict.clear(self)
        self._version += 1

    def __ior__(self, other: t.Any) -> t.Any:  # type: ignore[misc,override]
        dict.update(self, other)
        self._version += 1
        return self

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by the environment variable ``variable_name``.

        Returns ``False`` when ``silent`` and the variable is unset or the file is missing.
        """
        filename = os.environ.get(variable_name)
        if not filename:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set"
                " and as such configuration could not be loaded. Set"
                " this variable and make it point to a configuration"
                " file"
            )
        return self.from_pyfile(filename, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: t.Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Load every ``{prefix}_*`` environment variable, without the prefix.

        Values go through ``loads`` (JSON by default: ``"true"`` → ``True``, ``"3"`` → ``3``)
        and stay strings when that fails. ``__`` in a name nests into dicts:
        ``FLASK_DB__HOST`` sets ``config["DB"]["HOST"]``. Variables are applied in sorted order.
        """
        prefix = f"{prefix}_"
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            value: t.Any = os.environ[key]
            key = key[len(prefix) :]
            try:
                value = loads(value)
            except Exception:
                # NOTE: any value that is not valid for ``loads`` is kept as the raw string.
                pass
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, t.Any] = self
            *parts, tail = key.split("__")
            for part in parts:
                if part not in current:
                    current[part] = {}
                current = current[part]
            current[tail] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its UPPERCASE names, as :meth:`from_object` does.

        Returns ``False`` when ``silent`` and the file is missing.
        """
        filename = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = filename
        try:
            with open(filename, mode="rb") as config_file:
                # NOTE: as in Flask, an OSError raised by the file's own code is reported
                # (and silenced) like a missing config file.
                exec(compile(config_file.read(), filename, "exec"), module.__dict__)
        except OSError as e:
            return _reraise_or_false(e, silent)
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the UPPERCASE attributes of a module, class or object.

        A string is imported first (``"myapp.settings"`` or ``"myapp.settings:Production"``)::

            app.config.from_object("myapp.settings.Production")
        """
        if isinstance(obj, str):
            obj = _import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[t.IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with ``load`` and apply the mapping it returns via :meth:`from_mapping`.

        ``text=False`` opens the file in binary mode, as :func:`tomllib.load` requires::

            app.config.from_file("config.toml", load=tomllib.load, text=False)
        """
        filename = os.path.join(self.root_path, filename)
        try:
            with open(filename, "r" if text else "rb") as f:
                obj = load(f)
        except OSError as e:
            return _reraise_or_false(e, silent)
        return self.from_mapping(obj)

    def from_mapping(self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any) -> bool:
        """Load the UPPERCASE keys of ``mapping`` and ``kwargs`` (``kwargs`` win)."""
        mappings: dict[str, t.Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        for key, value in mappings.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """The keys starting with ``namespace``, e.g. as keyword arguments for a client::

        app.config["IMAGE_STORE_PATH"] = "/var/app/images"
        app.config.get_namespace("IMAGE_STORE_")  # {"path": "/var/app/images"}
        """
        rv: dict[str, t.Any] = {}
        for k, v in self.items():
            if not k.startswith(namespace):
                continue
            key = k[len(namespace) :] if trim_namespace else k
            if lowercase:
                key = key.lower()
            rv[key] = v
        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
