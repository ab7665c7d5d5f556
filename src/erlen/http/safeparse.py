"""Numbers from untrusted text, parsed without surprises: the one helper every header parser uses.

``int()`` is the wrong tool for a number a client sent: it accepts signs, spaces, underscores and
non-ASCII digits (``int("\\u0661") == 1``), and it raises ``ValueError`` above 4300 digits
(Python's guard against quadratic conversion, CVE-2020-10735), which an unguarded parser turns
into a 500. :func:`parse_uint` accepts exactly ``1*DIGIT`` (RFC 9110's grammar for lengths,
positions and delta-seconds) and never raises.
"""

from __future__ import annotations

__all__ = ["parse_uint"]


def parse_uint(text: str, limit: int | None = None) -> int | None:
    """The value of ``text`` if it is ASCII digits only, else ``None``.

    A value above ``limit`` reads as ``limit`` (RFC 9111 section 1.2.2 says so for
    delta-seconds, and a byte position past any real file is as good as an infinite one).
    Without a limit, a value too long for ``int()`` (over 4300 digits) is ``None``.

    >>> parse_uint("0042"), parse_uint("-1"), parse_uint("9" * 30, limit=2**31)
    (42, None, 2147483648)
    """
    # PERF: on ASCII text isdigit() accepts exactly 0-9, the regex's set, at a third of its cost.
    if not (text.isascii() and text.isdigit()):
        return None
    # SECURITY: decide on the length first, so int() never sees more digits than it converts.
    if limit is not None:
        if len(text.lstrip("0")) > len(str(limit)):
            return limit
        return min(int(text), limit)
    if len(text) > 4000:
        text = text.lstrip("0") or "0"
        if len(text) > 4000:
            return None
    return int(text)
