"""HTTP dates (RFC 9110 section 5.6.7).

``http_date`` writes the IMF-fixdate form (``Sun, 06 Nov 1994 08:49:37 GMT``); ``parse_date``
reads it and the two obsolete forms (RFC 850 and asctime) and returns an aware UTC datetime, or
``None`` for anything it cannot read. It never raises: its input comes from request headers.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

__all__ = ["http_date", "parse_date"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER = {name: i for i, name in enumerate(_MONTHS, 1)}

# PERF: the IMF-fixdate every modern client sends is matched by one regex; the obsolete
# forms fall back to the stdlib's lenient RFC 2822 parser.
_IMF_FIXDATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d\d):(\d\d):(\d\d) GMT",
    re.ASCII,
)

# SECURITY: a date header is a few dozen characters; refuse to scan anything huge.
_MAX_DATE_LENGTH = 200


def http_date(timestamp: datetime | date | float | None = None) -> str:
    """Format a time as an IMF-fixdate, the form HTTP headers use.

    Accepts a POSIX timestamp, a ``datetime`` (naive means UTC, aware is converted), a
    ``date`` (midnight UTC), or ``None`` for now.

    >>> http_date(0)
    'Thu, 01 Jan 1970 00:00:00 GMT'
    """
    if timestamp is None:
        dt = datetime.now(timezone.utc)
    elif isinstance(timestamp, datetime):
        if timestamp.tzinfo is None:
            dt = timestamp
        else:
            dt = timestamp.astimezone(timezone.utc)
    elif isinstance(timestamp, date):
        dt = datetime(timestamp.year, timestamp.month, timestamp.day)
    elif isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
        dt = datetime(1970, 1, 1) + timedelta(seconds=int(timestamp // 1))
    else:
        raise TypeError(f"cannot format {type(timestamp).__name__} as an HTTP date")
    return (
        f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} GMT"
    )


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC ``datetime``; ``None`` if it is not a date.

    >>> parse_date("Sun, 06 Nov 1994 08:49:37 GMT")
    datetime.datetime(1994, 11, 6, 8, 49, 37, tzinfo=datetime.timezone.utc)
    """
    if not value or not isinstance(value, str) or len(value) > _MAX_DATE_LENGTH:
        return None
    value = value.strip()
    match = _IMF_FIXDATE.fullmatch(value)
    try:
        if match is not None:
            day, month, year, hour, minute, second = match.groups()
            return datetime(
                int(year),
                _MONTH_NUMBER[month],
                int(day),
                int(hour),
                int(minute),
                int(second),
                tzinfo=timezone.utc,
            )
        import email.utils  # PERF: on first use; email.utils loads socket and more

        parts = email.utils.parsedate_tz(value)
        if parts is None:
            return None
        year, month, day, hour, minute, second = parts[:6]
        # NOTE: two-digit years (RFC 850) follow the stdlib rule: 00-68 -> 20xx, 69-99 -> 19xx.
        if year < 100:
            year += 2000 if year < 69 else 1900
        offset = parts[9] or 0
        local = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
        return local - timedelta(seconds=offset)
    except (ValueError, OverflowError, TypeError, IndexError):
        # NOTE: out-of-range fields (day 32, hour 25, year 10000) mean "not a date".
        return None
