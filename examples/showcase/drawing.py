"""The seed's blueprint example, unchanged except for the import."""

from erlen import Blueprint

bp = Blueprint("drawing", __name__, url_prefix="/drawing")


@bp.route("/add_watermark")
def add_watermark():
    return "add_watermark: the watermark is on the picture"


@bp.route("/picture_posite")
def picture_posite():
    return "picture_posite: the pictures are composed"
