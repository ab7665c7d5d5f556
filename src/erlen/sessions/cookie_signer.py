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
from binascii import a2b_base64, b2a_base64
from math import log2

_Q = struct.Struct(">Q")
# URL-safe base64 is standard base64 with ``-_`` for ``+/`` (RFC 4648 section 5).
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class SignatureError(ValueError):
    """The cookie is not signed by any of the keys, is malformed, or is too old."""


# PERF: binascii directly: base64.urlsafe_b64encode/decode are three Python calls deep.
def _b64encode(data: bytes) -> bytes:
    return b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def _b64decode(data: bytes) -> bytes:
    # NOTE: non-strict, as base64.urlsafe_b64decode (what itsdangerous uses) is.
    return a2b_base64((data + b"=" * (-len(data) % 4)).translate(_FROM_URLSAFE))


# The longest payload :func:`_cannot_shrink` looks at: past 25 bytes its bound cannot hold even
# when every byte differs (H <= log2(L), and L * (8 - log2(L)) > 85 from L = 26).
_SMALL = 25
# c * log2(c) for the counts a short payload can have (0 for 0 and 1).
_CLOGC = [0.0, 0.0] + [c * log2(c) for c in range(2, _SMALL + 1)]


def _cannot_shrink(data: bytes) -> bool:
    """True only if ``len(zlib.compress(data)) >= len(data) - 1``: itsdangerous would then keep
    ``data`` uncompressed, so the caller need not compress it to find out.

    PERF: ``zlib.compress`` costs ~87k instructions even for ten bytes (it clears a 64 KiB hash
    table), more than the rest of a small session cookie. A proof instead, for short payloads:

    - no 3-byte sequence occurs twice in ``data``, so DEFLATE finds no match (its shortest is 3)
      and codes each byte as a literal;
    - a zlib stream is 2 header bytes, the DEFLATE blocks and a 4-byte checksum;
    - a stored block costs more than its bytes, a fixed-Huffman block at least 8 bits a
      literal, and a dynamic-Huffman block at least a 29-bit header (block type 3, HLIT 5,
      HDIST 5, HCLEN 4, four 3-bit code-length codes) plus, by Shannon's bound on any prefix
      code, ``L * H`` bits for the ``L`` literals, ``H`` their empirical entropy.

    So the output has at least ``6 + (29 + L*H) / 8`` bytes, and if that is ``>= L - 1`` zlib
    cannot win. Anything not proven goes to zlib (``tests/test_cookie_signer.py`` checks the
    answer against ``zlib.compress`` on many payloads).
    """
    n = len(data)
    if n > _SMALL:
        return False
    if n < 3:
        return True
    if len(set(zip(data, data[1:], data[2:], strict=False))) != n - 2:
        return False
    # L*H = L*log2(L) - sum(c * log2(c)) over the counts c of the distinct bytes, counted as
    # runs of the sorted bytes.
    spent = 0.0
    prev = run = -1
    for byte in sorted(data):
        if byte == prev:
            run += 1
        else:
            if run > 1:
                spent += _CLOGC[run]
            prev, run = byte, 1
    if run > 1:
        spent += _CLOGC[run]
    bits = n * log2(n) - spent
    # A margin for float rounding, on the safe side (it only sends more payloads to zlib).
    return 6 + (29 + bits - 1e-6) / 8 >= n - 1


# RFC 2104: HMAC(K, m) = H((K' ^ opad) + H((K' ^ ipad) + m)), K' the key padded to H's block.
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class _Mac:
    """HMAC with one key, the padded-key hash states computed once.

    PERF: ``hmac.new``/``hmac.digest`` redo the key setup on every message (~19k instructions
    a signature through OpenSSL); copying the two ready states costs less than half of that.
    Digests without ``copy``/``block_size`` fall back to :func:`hmac.digest`.
    """

    __slots__ = ("_inner", "_outer", "_key", "_digest")

    def __init__(self, key: bytes, digest_method: t.Any) -> None:
        self._key = key
        self._digest = digest_method
        self._inner: t.Any = None
        self._outer: t.Any = None
        try:
            inner, outer = digest_method(), digest_method()
            block = inner.block_size
            if len(key) > block:
                key = digest_method(key).digest()
            key = key.ljust(block, b"\x00")
            inner.update(key.translate(_IPAD))
            outer.update(key.translate(_OPAD))
            inner.copy()
        except Exception:  # NOTE: not hashlib-like (a string name, a custom callable)
            return
        self._inner, self._outer = inner, outer

    def sign(self, msg: bytes) -> bytes:
        if self._inner is None:
            return hmac.digest(self._key, msg, self._digest)
        inner = self._inner.copy()
        inner.update(msg)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()  # type: ignore[no-any-return]


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


class CookieSigner:
    """Signs and checks session cookies for one list of secret keys (the last one signs)."""

    __slots__ = ("digest_method", "keys", "serializer", "_macs")

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
        self._macs = [_Mac(key, digest_method) for key in self.keys]
        self.serializer = serializer

    def get_timestamp(self) -> int:
        """The current time in seconds: what a cookie is stamped with and aged against."""
        return int(time.time())

    def dumps(self, obj: t.Any) -> str:
        """Serialize, maybe compress, timestamp and sign ``obj``."""
        data = _as_bytes(self.serializer.dumps(obj))
        # itsdangerous compresses when that saves more than one byte.
        if _cannot_shrink(data):
            payload = _b64encode(data)
        else:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                payload = b"." + _b64encode(compressed)
            else:
                payload = _b64encode(data)
        stamp = _Q.pack(self.get_timestamp()).lstrip(b"\x00")
        value = payload + b"." + _b64encode(stamp)
        sig = self._macs[0].sign(value)
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
        for mac in self._macs:
            # SECURITY: a constant-time comparison, against every accepted key.
            if hmac.compare_digest(mac.sign(value), sig):
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
