"""The login's verification code: a random code kept in the session, drawn as an image.

The code is never sent as text: only the PNG shows it. Each drawing replaces the code in the
session, and :func:`check_code` consumes it, so one code serves one login attempt.
"""

from __future__ import annotations

import hmac
import io
import secrets

from erlen import Response, session

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(
        'the showcase draws with Pillow: python3 -m pip install -e ".[showcase]"'
    ) from e

#: No 0/O, 1/I/L: letters a person can read back without guessing.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 5
SESSION_KEY = "captcha"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def draw(code: str) -> bytes:
    """``code`` as a PNG, each letter slightly moved, with a few noise lines."""
    rng = secrets.SystemRandom()
    image = Image.new("RGB", (40 * len(code) + 20, 60), (245, 245, 250))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    for i, char in enumerate(code):
        color = (rng.randrange(0, 120), rng.randrange(0, 120), rng.randrange(60, 160))
        draw.text((12 + 40 * i, 8 + rng.randrange(-4, 5)), char, font=font, fill=color)
    for _ in range(6):
        points = [(rng.randrange(image.width), rng.randrange(image.height)) for _ in range(2)]
        draw.line(points, fill=(rng.randrange(120, 220),) * 3, width=1)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def captcha_response() -> Response:
    """A new code in the session, answered as its image (never cached)."""
    code = new_code()
    session[SESSION_KEY] = code
    response = Response(draw(code), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


def check_code(answer: str) -> bool:
    """Whether ``answer`` is the code last drawn for this session; the code is used up."""
    expected = session.pop(SESSION_KEY, None)
    if not expected or not answer:
        return False
    return hmac.compare_digest(expected.encode(), answer.strip().upper().encode())
