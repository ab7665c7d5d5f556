"""Signing and reading the session cookie in itsdangerous' URL-safe timed format, fast.

The cookie session's wire format is itsdangerous' ``URLSafeTimedSerializer`` with Flask's settings
(salt ``cookie-session``, HMAC key derivation, SHA-1): ``payload.timestamp.signature``, each part
URL-safe base64 without padding; the payload is the serialized session, zlib-compressed and
prefixed with ``.`` when that is shorter by more than one byte; the timestamp is the Unix time as
big-endian bytes without leading zeros; the signature is HMAC(derived key, ``payload.timestamp``),
where the derived key is HMAC(secret key, salt).

PERF: building itsdangerous' serializer and signer per request and deriving the key on every
sign and check cost more than the rest of a session request. :class:`CookieSigner` does the same
work with the derived keys computed once per (keys, salt, digest) and kept, so a request pays
for one HMAC and the (de)serialization. The output is byte for byte itsdangerous' (checked
against it and against Flask in ``tests/test_cookie_compat.py``).
"""

from __future__ import annotations

import hmac
import struct
import time
import typing as t
import zlib
from base64 import urlsafe_b64decode, urlsafe_b64encode

_Q = struct.Struct(">Q")


class SignatureError(ValueError):
    """The cookie is not signed by any of the keys, is malformed, or is too old."""


def _b64encode(data: bytes) -> bytes:
    return urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(data: bytes) -> bytes:
    return urlsafe_b64decode(data + b"=" * (-len(data) % 4))


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


class CookieSigner:
    """Signs and checks session cookies for one list of secret keys (the last one signs)."""

    __slots__ = ("digest_method", "keys", "serializer")

    def __init__(
        self,
        secret_keys: t.Sequence[str | bytes],
        salt: str | bytes,
        digest_method: t.Any,
        serializer: t.Any,
    ) -> None:
        salt_b = _as_bytes(salt)
        self.digest_method = digest_method
        # Newest first: the signing key, then the fallbacks from the most recent.
        self.keys = [
            hmac.new(_as_bytes(key), salt_b, digest_method).digest()
            for key in reversed(secret_keys)
        ]
        self.serializer = serializer

    def get_timestamp(self) -> int:
        """The current time in seconds: what a cookie is stamped with and aged against."""
        return int(time.time())

    def dumps(self, obj: t.Any) -> str:
        """Serialize, maybe compress, timestamp and sign ``obj``."""
        data = _as_bytes(self.serializer.dumps(obj))
        compressed = zlib.compress(data)
        if len(compressed) < len(data) - 1:
            payload = b"." + _b64encode(compressed)
        else:
            payload = _b64encode(data)
        stamp = _Q.pack(self.get_timestamp()).lstrip(b"\x00")
        value = payload + b"." + _b64encode(stamp)
        sig = hmac.new(self.keys[0], value, self.digest_method).digest()
        return (value + b"." + _b64encode(sig)).decode("ascii")

    def loads(self, cookie: str | bytes, max_age: int | None = None) -> t.Any:
        """The value of a cookie signed by any of the keys; :class:`SignatureError` if none."""
        signed = _as_bytes(cookie)
        value, sep, sig_b64 = signed.rpartition(b".")
        if not sep:
            raise SignatureError("no signature")
        try:
            sig = _b64decode(sig_b64)
        except ValueError:
            raise SignatureError("malformed signature")
        for key in self.keys:
            # SECURITY: a constant-time comparison, against every accepted key.
            if hmac.compare_digest(hmac.new(key, value, self.digest_method).digest(), sig):
                break
        else:
            raise SignatureError("bad signature")
        payload, sep, stamp_b64 = value.rpartition(b".")
        if not sep:
            raise SignatureError("no timestamp")
        try:
            stamp = _Q.unpack(_b64decode(stamp_b64).rjust(8, b"\x00"))[0]
        except (ValueError, struct.error):
            raise SignatureError("malformed timestamp")
        if max_age is not None:
            age = self.get_timestamp() - stamp
            if age > max_age or age < 0:
                raise SignatureError("expired")
        compressed = payload[:1] == b"."
        try:
            data = _b64decode(payload[1:] if compressed else payload)
        except ValueError:
            raise SignatureError("malformed payload")
        if compressed:
            data = zlib.decompress(data)
        return self.serializer.loads(data.decode("utf-8"))


_signers: dict[tuple[t.Any, ...], CookieSigner] = {}


def cookie_signer(
    secret_keys: t.Sequence[str | bytes], salt: str | bytes, digest_method: t.Any, serializer: t.Any
) -> CookieSigner:
    """The signer for these settings, made once and reused (keys derive once, not per request)."""
    cache_key = (tuple(secret_keys), salt, digest_method, id(serializer))
    signer = _signers.get(cache_key)
    if signer is None or signer.serializer is not serializer:
        if len(_signers) >= 32:  # NOTE: bounded; apps that rotate keys often do not grow it
            _signers.clear()
        signer = _signers[cache_key] = CookieSigner(secret_keys, salt, digest_method, serializer)
    return signer
