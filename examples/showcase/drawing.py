"""The seed's ``drawing`` blueprint, made real: a text watermark, and two images composed.

``GET`` shows the upload form; ``POST`` answers the drawn PNG (same size as the uploaded
image, or as the background when composing).
"""

from __future__ import annotations

from erlen import Blueprint, render_template, request

from .images import png_response, read_image

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(
        'the showcase draws with Pillow: python3 -m pip install -e ".[showcase]"'
    ) from e

bp = Blueprint("drawing", __name__, url_prefix="/drawing")

#: The longest watermark text accepted; longer text is cut.
MAX_TEXT = 60


def watermark(image: Image.Image, text: str) -> Image.Image:
    """``image`` with ``text`` drawn across its middle, half-transparent white on a dark box."""
    width, height = image.size
    size = max(8, min(height // 4, width // max(len(text), 1)))
    font = ImageFont.load_default(size=size)
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = (width - (right - left)) // 2 - left
    y = (height - (bottom - top)) // 2 - top
    pad = max(2, size // 6)
    draw.rectangle(
        (x + left - pad, y + top - pad, x + right + pad, y + bottom + pad), fill=(0, 0, 0, 110)
    )
    draw.text((x, y), text, font=font, fill=(255, 255, 255, 200))
    return Image.alpha_composite(image, layer)


def compose(background: Image.Image, overlay: Image.Image) -> Image.Image:
    """``overlay``, scaled to fit half of ``background``, pasted in its centre (alpha kept)."""
    result = background.copy()
    small = overlay.copy()
    small.thumbnail((max(1, background.width // 2), max(1, background.height // 2)))
    x = (background.width - small.width) // 2
    y = (background.height - small.height) // 2
    result.alpha_composite(small, (x, y))
    return result


@bp.route("/add_watermark", methods=["GET", "POST"])
def add_watermark():
    if request.method == "GET":
        return render_template("watermark.html")
    image = read_image("image")
    text = (request.form.get("text") or "erlen").strip()[:MAX_TEXT] or "erlen"
    return png_response(watermark(image, text), "watermarked.png")


@bp.route("/picture_posite", methods=["GET", "POST"])
def picture_posite():
    if request.method == "GET":
        return render_template("compose.html")
    background = read_image("background")
    overlay = read_image("overlay")
    return png_response(compose(background, overlay), "composed.png")
