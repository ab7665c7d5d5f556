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

import hashlib
import hmac
import struct
import time
import typing as t
import zlib
from binascii import a2b_base64, b2a_base64
from math import log2

try:
    from _sha1 import sha1 as _builtin_sha1
except ImportError:  # NOTE: a Python built without its own SHA-1
    _builtin_sha1 = None

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
# Payloads shorter than this never shrink enough, whatever their bytes (see _cannot_shrink).
_TINY = 12


def _bound_holds(n: int, bits: float) -> bool:
    """Whether a zlib stream coding ``n`` bytes as literals in ``bits`` bits at best (a dynamic
    block's header aside) is at least ``n - 1`` bytes long (see :func:`_cannot_shrink`)."""
    # A margin for float rounding, on the safe side (it only sends more payloads to zlib).
    return 6 + (29 + bits - 1e-6) / 8 >= n - 1


def _least_bits(n: int, k: int) -> float:
    """The least ``L*H`` of ``n`` bytes of which ``k`` differ: one byte ``n - k + 1`` times and
    every other once (``sum(c * log2(c))`` is convex, so it peaks at that most uneven split)."""
    return n * log2(n) - _CLOGC[n - k + 1]


# The fewest distinct bytes that prove a payload of each length (up to _SMALL) cannot shrink,
# by the least entropy such a payload can have (``_least_bits``); a length past _SMALL never.
_MIN_DISTINCT = [
    next((k for k in range(1, n + 1) if _bound_holds(n, _least_bits(n, k))), n + 1)
    for n in range(_SMALL + 1)
]


def _cannot_shrink(data: bytes) -> bool:
    """True only if ``len(zlib.compress(data)) >= len(data) - 1``: itsdangerous would then keep
    ``data`` uncompressed, so the caller need not compress it to find out.

    PERF: ``zlib.compress`` costs ~87k instructions even for ten bytes (it clears a 64 KiB hash
    table), more than the rest of a small session cookie. A proof instead:

    - a zlib stream is 2 header bytes, the DEFLATE blocks and a 4-byte checksum; the last block
      has a 3-bit header and (Huffman blocks) an end-of-block code of at least 7 bits (fixed
      code) or a header of at least 29 bits (dynamic code: block type 3, HLIT 5, HDIST 5,
      HCLEN 4, four 3-bit code-length codes); a stored block costs 4 bytes more than its data.
      The first byte is always a literal (nothing precedes it to copy), at least 8 bits in the
      fixed code, and a second symbol (literal, or a match of at least 7 + 5 bits) follows when
      there are 2 bytes or more: at least 3 + 8 + 8 + 7 = 26 bits with the fixed code, 29 + 1
      + 1 with a dynamic one, 5 + L bytes stored. So 2 bytes or more never take under 6 + 4,
      i.e. 10 bytes; zlib's output is used only when it is at most ``L - 2`` bytes, so never
      below 12 bytes (``_TINY``), whatever the bytes.
    - For up to 25 bytes: if no 3-byte sequence occurs twice in ``data``, DEFLATE finds no
      match (its shortest is 3) and codes each byte as a literal; a fixed-Huffman block then
      spends at least 8 bits a literal, and a dynamic-Huffman block its 29-bit header plus, by
      Shannon's bound on any prefix code, ``L * H`` bits for the ``L`` literals, ``H`` their
      empirical entropy. So the output has at least ``6 + (29 + L*H) / 8`` bytes, and if that
      is ``>= L - 1`` zlib cannot win. ``L * H`` is bounded below first by the number of
      distinct bytes alone (cheap, ``_MIN_DISTINCT``), then computed from the byte counts.

    Anything not proven goes to zlib (``tests/test_fastpaths.py`` and
    ``tests/test_session_fastpath.py`` check the answer against ``zlib.compress`` on many
    payloads).
    """
    n = len(data)
    if n < _TINY:
        return True
    if n > _SMALL:
        return False
    distinct = len(set(data))
    if distinct != n and len(set(zip(data, data[1:], data[2:], strict=False))) != n - 2:
        return False
    if distinct >= _MIN_DISTINCT[n]:
        return True
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
    return _bound_holds(n, n * log2(n) - spent)


# RFC 2104: HMAC(K, m) = H((K' ^ opad) + H((K' ^ ipad) + m)), K' the key padded to H's block.
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


class _Mac:
    """HMAC with one key, the padded-key hash states computed once.

    PERF: ``hmac.new``/``hmac.digest`` redo the key setup on every message (~19k instructions
    a signature through OpenSSL); copying the two ready states costs half of that, and a third
    less again with CPython's own SHA-1, whose state is a plain struct to copy (OpenSSL's is an
    allocated context), for ``hashlib.sha1`` (Flask's digest): SHA-1 is SHA-1, the bytes are
    the same. Digests without ``copy``/``block_size`` fall back to :func:`hmac.digest`.
    """

    __slots__ = ("_inner", "_outer", "_key", "_digest")

    def __init__(self, key: bytes, digest_method: t.Any) -> None:
        self._key = key
        self._digest = digest_method
        self._inner: t.Any = None
        self._outer: t.Any = None
        if digest_method is hashlib.sha1 and _builtin_sha1 is not None:
            digest_method = _builtin_sha1
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

    __slots__ = ("digest_method", "keys", "serializer", "_macs", "_sign", "_last_stamp")

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
        self._sign = self._macs[0].sign
        # The last timestamp dumps wrote and its base64 (it changes once a second).
        self._last_stamp: tuple[int, bytes] = (-1, b"")
        self.serializer = serializer

    def get_timestamp(self) -> int:
        """The current time in seconds: what a cookie is stamped with and aged against."""
        return int(time.time())

    def _now(self) -> int:
        # PERF: the clock read inline, unless get_timestamp is overridden (or patched by a test).
        if type(self).get_timestamp is _get_timestamp:
            return int(time.time())
        return self.get_timestamp()

    def dumps(self, obj: t.Any) -> str:
        """Serialize, maybe compress, timestamp and sign ``obj``."""
        data = self.serializer.dumps(obj)
        if type(data) is str:
            data = data.encode()
        # itsdangerous compresses when that saves more than one byte.
        if _cannot_shrink(data):
            payload = _b64encode(data)
        else:
            compressed = zlib.compress(data)
            if len(compressed) < len(data) - 1:
                payload = b"." + _b64encode(compressed)
            else:
                payload = _b64encode(data)
        now = self._now()
        last = self._last_stamp
        if last[0] == now:
            # PERF: one base64 of the time a second, not one a cookie.
            stamp = last[1]
        else:
            stamp = _b64encode(_Q.pack(now).lstrip(b"\x00"))
            self._last_stamp = (now, stamp)
        value = payload + b"." + stamp
        return (value + b"." + _b64encode(self._sign(value))).decode("ascii")

    def loads(self, cookie: str | bytes, max_age: int | None = None) -> t.Any:
        """The value of a cookie signed by any of the keys; :class:`SignatureError` if none."""
        signed = cookie.encode() if type(cookie) is str else _as_bytes(cookie)
        value, sep, sig_b64 = signed.rpartition(b".")
        if not sep:
            raise SignatureError("no signature")
        try:
            sig = _b64decode(sig_b64)
        except ValueError:
            raise SignatureError("malformed signature")
        # SECURITY: a constant-time comparison, against every accepted key.
        if not hmac.compare_digest(self._sign(value), sig):
            for mac in self._macs[1:]:
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
            age = self._now() - stamp
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


_get_timestamp = CookieSigner.get_timestamp


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
