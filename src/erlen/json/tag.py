"""Tagged JSON: a compact JSON form for values plain JSON loses (tuples, bytes, ``Markup``,
``UUID``, ``datetime``), used by the session cookie.

The wire format is Flask's, byte for byte, so a cookie signed by Flask loads in erlen and the
other way round. A tagged value is a one-key dict whose key is the tag, e.g. ``{" t": [1, 2]}``
for the tuple ``(1, 2)``. A dict that itself has one key equal to a tag is escaped by
:class:`TagDict` (``{" di": {" t__": ...}}``).

Add a type by subclassing :class:`JSONTag` and registering it::

    class TagOrderedDict(JSONTag):
        __slots__ = ("serializer",)
        key = " od"

        def check(self, value):
            return isinstance(value, OrderedDict)

        def to_json(self, value):
            return [[k, self.serializer.tag(v)] for k, v in value.items()]

        def to_python(self, value):
            return OrderedDict(value)

    app.session_interface.serializer.register(TagOrderedDict, index=0)
"""

from __future__ import annotations

import json as _json
import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup

from ..http.dates import http_date, parse_date
from . import _app_json
from . import dumps as _dumps
from . import loads as _loads
from .provider import DefaultJSONProvider

__all__ = [
    "JSONTag",
    "PassDict",
    "PassList",
    "TagBytes",
    "TagDateTime",
    "TagDict",
    "TagMarkup",
    "TagTuple",
    "TagUUID",
    "TaggedJSONSerializer",
]


class JSONTag:
    """Base class for a type the :class:`TaggedJSONSerializer` can tag."""

    __slots__ = ("serializer",)

    #: The tag marking values of this type; an empty key tags nothing (a pass-through
    #: that only recurses into containers).
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """Turn ``value`` into a JSON-serializable value (without the tag)."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """Turn the JSON form back into the Python value."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> t.Any:
        """The JSON form of ``value`` wrapped in ``{key: ...}``."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key is a registered tag: the key gets a ``__`` suffix so it
    is not mistaken for a tagged value when loading.
    """

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: tag its values."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        # NOTE: JSON object keys are strings, so only the values can need tags.
        return {k: self.serializer.tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    """A tuple, as a list of tagged items."""

    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: tag its items."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    """Bytes, as standard base64."""

    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__`` (such as ``Markup``); loads back as ``Markup``."""

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        return Markup(value)


class TagUUID(JSONTag):
    """A UUID, as its 32 hex digits."""

    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime, as an HTTP date (second precision, UTC); loads back aware in UTC."""

    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        return parse_date(value)


# Types the default tags pass through unchanged (exact types: a subclass may carry ``__html__``).
_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})


class TaggedJSONSerializer:
    """Serializes the tagged types to compact JSON and back.

    >>> s = TaggedJSONSerializer()
    >>> s.dumps({"t": (1, b"x")})
    '{"t":{" t":[1,{" b":"eA=="}]}}'
    >>> s.loads(s.dumps({"t": (1, b"x")}))
    {'t': (1, b'x')}
    """

    __slots__ = ("tags", "order", "_default_order", "_decoder")

    #: Registered in this order when the serializer is created; the first tag whose
    #: ``check`` matches a value wins.
    default_tags: t.ClassVar[list[type[JSONTag]]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for cls in self.default_tags:
            self.register(cls)
        # PERF: the fast paths below know what the default tags do with plain JSON values; they
        # apply only while ``order`` is still the default one (no tag registered or inserted
        # since) and the tagging methods are not overridden.
        cls_ = type(self)
        stock = (
            cls_.default_tags is TaggedJSONSerializer.default_tags
            and cls_.tag is TaggedJSONSerializer.tag
            and cls_._untag_scan is TaggedJSONSerializer._untag_scan
        )
        self._default_order: list[JSONTag] | None = list(self.order) if stock else None
        self._decoder: _json.JSONDecoder | None = None

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag type; ``index`` places it in the check order (default: last).

        Raises ``KeyError`` if the key is taken, unless ``force`` replaces the old tag.
        """
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: t.Any) -> t.Any:
        """The JSON-serializable, tagged form of ``value``."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """The Python value of a one-key tagged dict; other dicts are returned as they are."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        if key not in self.tags:
            return value
        return self.tags[key].to_python(value[key])

    def _untag_scan(self, value: t.Any) -> t.Any:
        # NOTE: untag bottom-up, so a tag's to_python sees its contents already restored.
        if isinstance(value, dict):
            value = {k: self._untag_scan(v) for k, v in value.items()}
            value = self.untag(value)
        elif isinstance(value, list):
            value = [self._untag_scan(item) for item in value]
        return value

    def _stock(self) -> bool:
        """Whether the tags are the default ones, in the default order (see ``__init__``)."""
        return self._default_order is not None and self.order == self._default_order

    def _is_plain(self, value: t.Any) -> bool:
        """Whether tagging ``value`` would give an equal value: only plain JSON types, and no
        one-key dict whose key is a tag (those get escaped by :class:`TagDict`)."""
        tp = type(value)
        if tp in _PLAIN_SCALARS:
            return True
        if tp is dict:
            if len(value) == 1 and next(iter(value)) in self.tags:
                return False
            for item in value.values():
                if type(item) not in _PLAIN_SCALARS and not self._is_plain(item):
                    return False
            return True
        if tp is list:
            for item in value:
                if type(item) not in _PLAIN_SCALARS and not self._is_plain(item):
                    return False
            return True
        return False

    def dumps(self, value: t.Any) -> str:
        """Tag ``value`` and serialize it to compact JSON."""
        # PERF: a session of plain JSON values (the usual one) tags to an equal copy, so the
        # walk that copies it through every tag's ``check`` is skipped; the bytes are the same.
        if not (self._stock() and self._is_plain(value)):
            value = self.tag(value)
        provider = _app_json()
        if provider is not None and type(provider).dumps is DefaultJSONProvider.dumps:
            # PERF: the provider's cached compact C encoder is what ``provider.dumps(value,
            # separators=(",", ":"))`` builds afresh on every call (with a JSONEncoder around
            # it); same options, same output.
            encoder = provider._compact_c_encoder()
            if encoder is not None:
                try:
                    return "".join(encoder(value, 0))
                except RecursionError:
                    pass  # NOTE: a cycle or deep nesting: json's own error, from the encoder
            return provider._encoder(False).encode(value)  # type: ignore[no-any-return]
        return _dumps(value, separators=(",", ":"))

    def loads(self, value: str) -> t.Any:
        """Load tagged JSON and restore the tagged types."""
        if self._default_order is not None and type(value) is str:
            provider = _app_json()
            if provider is None or type(provider).loads is DefaultJSONProvider.loads:
                # PERF: the decoder calls ``untag`` on each object as it is built, innermost
                # first, which is what the ``_untag_scan`` walk does after a plain load; both
                # ``json.loads`` paths (the default provider's and the stdlib's) parse alike.
                decoder = self._decoder
                if decoder is None:
                    decoder = self._decoder = _json.JSONDecoder(object_hook=self.untag)
                # PERF: the decoder's C scanner directly; ``decode`` wraps it in two Python
                # calls and two regex matches for the whitespace around the document. Only a
                # document that does not start at 0 and end at the end (whitespace, garbage)
                # goes through ``decode``, for its answer or its error.
                try:
                    obj, end = decoder.scan_once(value, 0)  # type: ignore[attr-defined]
                except StopIteration:
                    return decoder.decode(value)
                if end != len(value):
                    return decoder.decode(value)
                return obj
        return self._untag_scan(_loads(value))
