"""Flask's ``flask.wrappers`` names: the request and response classes."""

from .http.request import Request as Request
from .http.response import Response as Response

__all__ = ["Request", "Response"]
