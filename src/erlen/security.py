"""Password hashes in Werkzeug's string format, so a migrated app's user table keeps working.

``from werkzeug.security import generate_password_hash, check_password_hash`` becomes
``from erlen.security import ...``; hashes written by either library verify in the other.

The format is ``method$salt$hash`` (the hash in lowercase hex):

- ``scrypt:N:r:p$salt$hash``: :func:`hashlib.scrypt`, 64-byte key, defaults ``N=2**15, r=8, p=1``;
- ``pbkdf2:NAME:ITERATIONS$salt$hash``: :func:`hashlib.pbkdf2_hmac` with digest ``NAME``
  (default ``sha256``) and its natural key length, default 1,000,000 iterations.

SECURITY: the salt comes from :mod:`secrets`; hashes are compared in constant time
(:func:`hmac.compare_digest`); :func:`check_password_hash` answers ``False`` for any hash string
it cannot read (unknown method, bad parameters, garbage) instead of raising, so a corrupt row is
a failed login, not a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from .http.sendfile import safe_join as safe_join  # Werkzeug keeps safe_join in this module too

__all__ = ["SALT_CHARS", "check_password_hash", "gen_salt", "generate_password_hash", "safe_join"]

SALT_CHARS = string.ascii_letters + string.digits
DEFAULT_PBKDF2_ITERATIONS = 1_000_000
_SCRYPT_DEFAULTS = (2**15, 8, 1)
_SCRYPT_KEY_LENGTH = 64
# NOTE: hashlib.scrypt's memory bound must cover 128 * N * r * p bytes (plus a little).
_SCRYPT_MAX_MEMORY = 2**31


def gen_salt(length: int) -> str:
    """A random string of ``length`` letters and digits (from :mod:`secrets`)."""
    if length <= 0:
        raise ValueError("Salt length must be at least 1.")
    return "".join(secrets.choice(SALT_CHARS) for _ in range(length))


def _scrypt(params: list[str], salt: bytes, password: bytes) -> tuple[str, bytes]:
    if len(params) not in (0, 3):
        raise ValueError("scrypt takes 'scrypt' or 'scrypt:N:r:p'.")
    n, r, p = (int(x) for x in params) if params else _SCRYPT_DEFAULTS
    key = hashlib.scrypt(
        password,
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=min(132 * n * r * p, _SCRYPT_MAX_MEMORY),
        dklen=_SCRYPT_KEY_LENGTH,
    )
    return f"scrypt:{n}:{r}:{p}", key


def _pbkdf2(params: list[str], salt: bytes, password: bytes) -> tuple[str, bytes]:
    if len(params) > 2:
        raise ValueError("pbkdf2 takes 'pbkdf2', 'pbkdf2:NAME' or 'pbkdf2:NAME:ITERATIONS'.")
    name = params[0] if params else "sha256"
    iterations = int(params[1]) if len(params) == 2 else DEFAULT_PBKDF2_ITERATIONS
    key = hashlib.pbkdf2_hmac(name, password, salt, iterations)
    return f"pbkdf2:{name}:{iterations}", key


# The methods by their first ``:``-separated word (a table, not a branch ladder).
_METHODS = {"scrypt": _scrypt, "pbkdf2": _pbkdf2}


def _hash(method: str, salt: str, password: str) -> tuple[str, str]:
    """``(full method string, hex hash)``; raises ``ValueError`` for a method it cannot run."""
    name, *params = method.split(":")
    try:
        run = _METHODS[name]
    except KeyError:
        raise ValueError(f"Invalid hash method {method!r}; use 'scrypt' or 'pbkdf2'.") from None
    full, key = run(params, salt.encode(), password.encode())
    return full, key.hex()


def generate_password_hash(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
    """Hash ``password`` with a random salt, as ``method$salt$hash`` (Werkzeug's format).

    ``method`` is ``"scrypt"`` (default), ``"scrypt:N:r:p"``, ``"pbkdf2"``,
    ``"pbkdf2:sha512"`` or ``"pbkdf2:sha256:600000"``.

    >>> h = generate_password_hash("secret", "pbkdf2:sha256:1000")
    >>> h.startswith("pbkdf2:sha256:1000$"), check_password_hash(h, "secret")
    (True, True)
    """
    salt = gen_salt(salt_length)
    full, digest = _hash(method, salt, password)
    return f"{full}${salt}${digest}"


def check_password_hash(pwhash: str, password: str) -> bool:
    """Whether ``password`` matches ``pwhash`` (from :func:`generate_password_hash` or Werkzeug).

    A hash string that cannot be read gives ``False``, never an exception.
    """
    try:
        method, salt, expected = pwhash.split("$")
        _, digest = _hash(method, salt, password)
    except (ValueError, TypeError, AttributeError, OverflowError):
        # NOTE: ValueError covers unknown methods and digests, non-numeric or out-of-range
        # parameters (scrypt's N must be a power of two) and a wrong number of "$" parts.
        return False
    return hmac.compare_digest(digest.encode(), expected.encode("utf-8", "replace"))
