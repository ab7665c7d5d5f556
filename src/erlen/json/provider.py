"""JSON providers: how an app turns Python values into JSON and back.

``app.json`` is a :class:`DefaultJSONProvider` unless ``app.json_provider_class`` names
another :class:`JSONProvider` subclass (for example one backed by orjson).
"""

from __future__ import annotations

import json
import sys
import typing as t
import weakref
from datetime import date

from ..http.dates import http_date
from ..http.response import Response as _HTTPResponse

# PERF: the C encoder json.dumps builds per call, kept by DefaultJSONProvider.response.
_c_make_encoder: t.Any = getattr(json.encoder, "c_make_encoder", None)
_encode_ascii = json.encoder.encode_basestring_ascii
_encode_text = json.encoder.encode_basestring

if t.TYPE_CHECKING:
    from ..app import Erlen
    from ..wrappers import Response

__all__ = ["DefaultJSONProvider", "JSONProvider"]


def _default(o: t.Any) -> t.Any:
    """Serialize the types Flask's provider knows; raise ``TypeError`` for anything else."""
    if isinstance(o, date):
        return http_date(o)
    # PERF: decimal, uuid and dataclasses cost ~10% of ``import erlen``; an object of those
    # types cannot exist before its module is imported, so they are looked up, not imported.
    modules = sys.modules
    decimal, uuid = modules.get("decimal"), modules.get("uuid")
    if (decimal is not None and isinstance(o, decimal.Decimal)) or (
        uuid is not None and isinstance(o, uuid.UUID)
    ):
        return str(o)
    dataclasses = modules.get("dataclasses")
    # NOTE: ``is_dataclass`` is also true for the class itself, which ``asdict`` rejects.
    if dataclasses is not None and dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class JSONProvider:
    """The interface an app's JSON provider implements.

    Subclasses implement :meth:`dumps` and :meth:`loads`; :meth:`dump`, :meth:`load` and
    :meth:`response` are built on them.
    """

    def __init__(self, app: Erlen) -> None:
        # NOTE: a proxy, as in Flask: the app owns its provider without a reference cycle.
        try:
            self._app: Erlen = weakref.proxy(app)  # type: ignore[assignment]
        except TypeError:  # a stand-in object that takes no weak references
            self._app = app

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialize ``obj`` and write it to the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize the JSON document ``s`` (text or bytes)."""
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Read and deserialize the JSON document in the file ``fp``."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]) -> t.Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A response with ``application/json`` for the serialized arguments.

        One positional argument is serialized as is, several become a list, keyword
        arguments become a dict; passing both raises ``TypeError``.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


class DefaultJSONProvider(JSONProvider):
    """JSON through the standard library's :mod:`json`, with Flask's defaults.

    Beyond the JSON types it serializes ``date``/``datetime`` (HTTP date), ``Decimal`` and
    ``UUID`` (``str``), dataclasses (``asdict``) and objects with ``__html__`` such as
    ``Markup``. Set the class attributes on ``app.json`` to change the output::

        app.json.sort_keys = False
        app.json.compact = True
    """

    #: Called for objects :mod:`json` cannot serialize; override to support more types.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    #: Escape non-ASCII characters as ``\\uXXXX``.
    ensure_ascii: bool = True
    #: Sort the keys of every dict in the output.
    sort_keys: bool = True
    #: In :meth:`response`: ``None`` means indented in debug mode and compact otherwise,
    #: ``True`` always compact, ``False`` always indented.
    compact: bool | None = None
    #: The mimetype of :meth:`response`.
    mimetype: str = "application/json"
    #: (default, ensure_ascii, sort_keys, C encoder) of the last compact response.
    _c_encoder_cache: tuple[t.Any, ...] | None = None

    def __init__(self, app: Erlen) -> None:
        super().__init__(app)
        # PERF: on the instance, so response() reads it by the fast attribute path.
        self._c_encoder_cache = None

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` with this provider's ``default``, ``ensure_ascii`` and ``sort_keys``;
        ``kwargs`` go to :func:`json.dumps` and override them.
        """
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize ``s`` with :func:`json.loads` (bytes are decoded as UTF-8/16/32)."""
        return json.loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Like :meth:`JSONProvider.response`, formatted per :attr:`compact`, ending in a newline."""
        # PERF: the usual call, ``jsonify(obj)``, needs no argument shuffling.
        if len(args) == 1 and not kwargs:
            obj = args[0]
        else:
            obj = self._prepare_response_obj(args, kwargs)
        compact = self.compact
        indent = (compact is None and self._app.debug) or compact is False
        own = _OWN_DUMPS.get(type(self))  # PERF: the cache hit of _own_dumps, inline
        if own is None:
            own = _own_dumps(type(self))
        if not own:
            # A subclass that overrides dumps gets it called, as in Flask.
            if indent:
                body = self.dumps(obj, indent=2)
            else:
                body = self.dumps(obj, separators=(",", ":"))
        elif indent:
            body = self._encoder(True).encode(obj)
        else:
            # PERF: ``self._encoder(False).encode(obj)`` through the C encoder directly.
            # JSONEncoder.encode builds a new C encoder and a circular-reference dict on every
            # call. The one kept here has no such dict (so threads may share it): a cycle ends
            # in RecursionError, and then the call is repeated with the dict, which raises what
            # ``json`` raises (ValueError for a cycle, RecursionError for deep nesting).
            encode = self._compact_c_encoder()
            try:
                if encode is None:
                    raise RecursionError  # NOTE: no accelerator: JSONEncoder's own way
                body = "".join(encode(obj, 0))
            except RecursionError:
                body = self._encoder(False).encode(obj)
        cls = self._app.response_class
        plain = _PLAIN_INIT.get(cls)  # PERF: the cache hit of _plain_init, inline
        if plain is None:
            plain = _plain_init(cls)
        if plain:
            # PERF: a keyword argument to a class call costs about 1,000 instructions on
            # CPython 3.11; erlen's constructor takes (response, status, headers, mimetype).
            return cls(f"{body}\n", None, None, self.mimetype)  # type: ignore[no-any-return]
        return cls(f"{body}\n", mimetype=self.mimetype)  # type: ignore[no-any-return]

    def _encoder(self, indent: bool) -> json.JSONEncoder:
        """The encoder ``dumps`` would build for the response, kept while the settings hold."""
        # PERF: json.dumps with any option builds a JSONEncoder (and its C encoder) per call,
        # a third of a small jsonify; the encoder is stateless between calls, so it is reused.
        key = (self.default, self.ensure_ascii, self.sort_keys, indent)
        cached = self.__dict__.get("_encoder_cache")
        if cached is None or cached[0] != key:
            options: dict[str, t.Any] = {"indent": 2} if indent else {"separators": (",", ":")}
            encoder = json.JSONEncoder(
                default=self.default,
                ensure_ascii=self.ensure_ascii,
                sort_keys=self.sort_keys,
                **options,
            )
            cached = self.__dict__["_encoder_cache"] = (key, encoder)
        return cached[1]

    def _compact_c_encoder(self) -> t.Any:
        """The C encoder of ``dumps(obj, separators=(",", ":"))`` with this provider's settings
        (the one :meth:`response` keeps), or None without the accelerator. It has no
        circular-reference dict: a cycle ends in RecursionError, to be retried through
        :meth:`dumps` for ``json``'s own error."""
        default, ensure_ascii, sort_keys = self.default, self.ensure_ascii, self.sort_keys
        cached = self._c_encoder_cache
        if (
            cached is None
            or cached[0] != default  # NOTE: a bound method is a new object per access
            or cached[1] is not ensure_ascii
            or cached[2] is not sort_keys
        ):
            cached = self._c_encoder(default, ensure_ascii, sort_keys)
            if cached is None:
                return None
        return cached[3]

    def _c_encoder(self, default: t.Any, ensure_ascii: bool, sort_keys: bool) -> t.Any:
        """Build and keep the C encoder :meth:`response` uses (None without the accelerator)."""
        if _c_make_encoder is None:  # NOTE: a Python without the _json accelerator
            return None
        encoder = _c_make_encoder(
            None,
            default,
            _encode_ascii if ensure_ascii else _encode_text,
            None,
            ":",
            ",",
            sort_keys,
            False,
            True,
        )
        self._c_encoder_cache = cached = (default, ensure_ascii, sort_keys, encoder)
        return cached


_OWN_DUMPS: dict[type, bool] = {}
_PLAIN_INIT: dict[type, bool] = {}


def _plain_init(cls: type) -> bool:
    """Whether ``cls`` has the constructor of erlen's Response (so arguments may be positional)."""
    plain = _PLAIN_INIT.get(cls)
    if plain is None:
        plain = _PLAIN_INIT[cls] = cls.__init__ is _HTTPResponse.__init__  # type: ignore[misc]
    return plain


def _own_dumps(cls: type) -> bool:
    """Whether ``cls`` keeps DefaultJSONProvider.dumps (so responses may skip calling it)."""
    own = _OWN_DUMPS.get(cls)
    if own is None:
        own = _OWN_DUMPS[cls] = cls.dumps is DefaultJSONProvider.dumps  # type: ignore[attr-defined]
    return own
