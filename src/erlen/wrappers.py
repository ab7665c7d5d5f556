"""Flask's ``flask.wrappers`` names: the request and response classes."""

from .request import Request as Request
from .response import Response as Response

__all__ = ["Request", "Response"]
