"""The ``Authorization`` request header and the ``WWW-Authenticate`` response header."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from .grammar import (
    _TOKEN68,
    _CallbackDict,
    parse_dict_header,
    quote_header_value,
)


def _dump_auth_params(params: Mapping[str, Any], always_quote: frozenset[str]) -> str:
    return ", ".join(
        key
        if value is None
        else f"{key}={quote_header_value(value, allow_token=key not in always_quote)}"
        for key, value in params.items()
    )


def _split_credentials(value: str) -> tuple[str, str]:
    scheme, _, rest = value.strip().partition(" ")
    return scheme.lower(), rest.strip()


class Authorization:
    """The ``Authorization`` request header.

    ``auth.username``, ``auth.realm``... read ``parameters`` (``None`` when missing);
    ``token`` holds a token68 credential (``Bearer abc``).
    """

    def __init__(
        self, auth_type: str, data: dict[str, str | None] | None = None, token: str | None = None
    ) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str | None] = dict(data or {})
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, key: str) -> str | None:
        return self.parameters[key]

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self.parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.token, self.parameters) == (
            other.type,
            other.token,
            other.parameters,
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse the header; ``None`` when it is missing or its Basic credentials are invalid."""
        if not value:
            return None
        scheme, rest = _split_credentials(value)
        if not scheme:
            return None
        if scheme == "basic":
            # NOTE: unlike Werkzeug, empty or invalid base64 gives None, not empty credentials.
            try:
                decoded = base64.b64decode(rest, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return None
            if not rest:
                return None
            username, _, password = decoded.partition(":")
            return cls("basic", {"username": username, "password": password})
        if "=" not in rest or _TOKEN68.fullmatch(rest):
            return cls(scheme, None, rest)
        return cls(scheme, parse_dict_header(rest))

    def to_header(self) -> str:
        """Serialize to header text."""
        if self.type == "basic":
            credentials = f"{self.username or ''}:{self.password or ''}".encode()
            return "Basic " + base64.b64encode(credentials).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {_dump_auth_params(self.parameters, frozenset())}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


# NOTE: RFC 7616 requires these Digest challenge parameters to be quoted-strings.
_DIGEST_QUOTED = frozenset({"realm", "domain", "nonce", "opaque", "qop"})
_WWW_AUTH_SLOTS = frozenset({"type", "token", "parameters", "_on_update"})


class WWWAuthenticate:
    """The ``WWW-Authenticate`` response header; attributes read and write ``parameters``.

    >>> WWWAuthenticate("basic", {"realm": "Admin area"}).to_header()
    'Basic realm="Admin area"'
    """

    type: str
    token: str | None
    parameters: _CallbackDict
    _on_update: Callable[[WWWAuthenticate], None] | None

    def __init__(
        self,
        auth_type: str,
        values: dict[str, str | None] | None = None,
        token: str | None = None,
        *,
        on_update: Callable[[WWWAuthenticate], None] | None = None,
    ) -> None:
        object.__setattr__(self, "_on_update", None)
        self.type = auth_type.lower()
        self.parameters = _CallbackDict(values, lambda _: self._trigger_on_update())
        self.token = token
        object.__setattr__(self, "_on_update", on_update)

    def _trigger_on_update(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__") or name in _WWW_AUTH_SLOTS:
            raise AttributeError(name)
        return self.parameters.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WWW_AUTH_SLOTS:
            object.__setattr__(self, name, value)
            if name != "_on_update":
                self._trigger_on_update()
        elif value is None:
            self.parameters.pop(name, None)
        else:
            self.parameters[name] = value

    def __delattr__(self, name: str) -> None:
        self.parameters.pop(name, None)

    def __getitem__(self, key: str) -> str | None:
        return self.parameters[key]

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            self.parameters.pop(key, None)
        else:
            self.parameters[key] = value

    def __delitem__(self, key: str) -> None:
        del self.parameters[key]

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self.parameters.get(key, default)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (self.type, self.token, dict(self.parameters)) == (
            other.type,
            other.token,
            dict(other.parameters),
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse one challenge; ``None`` when the header is missing."""
        if not value:
            return None
        scheme, rest = _split_credentials(value)
        if not scheme:
            return None
        if rest and _TOKEN68.fullmatch(rest):
            return cls(scheme, None, rest)
        return cls(scheme, parse_dict_header(rest))

    def to_header(self) -> str:
        """Serialize to header text."""
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        quoted = _DIGEST_QUOTED if self.type == "digest" else frozenset()
        params = _dump_auth_params(self.parameters, quoted)
        return f"{self.type.title()} {params}" if params else self.type.title()

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"
