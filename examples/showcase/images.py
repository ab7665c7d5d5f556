"""Reading uploaded images safely, and writing images back as PNG responses.

Every bad upload ends in a clear 4xx (never a 500): a missing or empty file field is a 400,
a file Pillow cannot read (or a format outside :data:`FORMATS`) is a 400, and an image with
more than ``SHOWCASE_MAX_PIXELS`` pixels is a 413. Request bodies above ``MAX_CONTENT_LENGTH``
are refused with a 413 by erlen before the view runs.
"""

from __future__ import annotations

import io
import warnings

from erlen import abort, current_app, request, send_file

try:
    from PIL import Image, UnidentifiedImageError
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(
        'the showcase draws with Pillow: python3 -m pip install -e ".[showcase]"'
    ) from e

#: The formats the showcase accepts; Pillow knows many more, each one more parser exposed to
#: untrusted bytes.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
#: Default cap on width x height: 4096 x 4096.
MAX_PIXELS = 4096 * 4096

# SECURITY: Pillow only warns about an image between its bomb limit and twice that, and
# decodes it anyway: here such an image is an error (a 413). Set once for the process, not
# with catch_warnings per request, which is not thread-safe.
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def read_image(field: str) -> Image.Image:
    """The uploaded image in ``request.files[field]``, decoded and converted to RGBA."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        abort(400, description=f"Upload an image in the form field {field!r}.")
    data = upload.read()
    if not data:
        abort(400, description=f"The file in {field!r} is empty.")
    limit = int(current_app.config.get("SHOWCASE_MAX_PIXELS", MAX_PIXELS))
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        width, height = image.size
        # SECURITY: the header's size is checked before any pixel is decoded, so a
        # decompression bomb costs a few bytes of parsing, not gigabytes of memory.
        if width * height > limit:
            abort(413, description=f"The image in {field!r} has more than {limit} pixels.")
        image.load()
        # NOTE: inside the try: a mode Pillow cannot convert is a bad upload, not a 500.
        return image.convert("RGBA")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        abort(413, description=f"The image in {field!r} has too many pixels.")
    except UnidentifiedImageError:
        abort(400, description=f"The file in {field!r} is not a PNG, JPEG, GIF, WebP or BMP image.")
    except (OSError, SyntaxError, ValueError):
        # NOTE: truncated or corrupt image data surfaces as one of these from load().
        abort(400, description=f"The image in {field!r} is damaged and cannot be read.")


def png_response(image: Image.Image, name: str):
    """``image`` as a PNG download named ``name``, shown inline by browsers."""
    out = io.BytesIO()
    image.save(out, format="PNG")
    out.seek(0)
    return send_file(out, mimetype="image/png", download_name=name, max_age=0)
