"""``erlen.serving``: the edges, the only code that speaks a protocol or owns a socket.

It holds the ASGI entry (:mod:`~erlen.serving.asgi`, :mod:`~erlen.serving.websocket`,
:mod:`~erlen.serving.lifespan`) and the development server on uvicorn
(:mod:`~erlen.serving.devserver`, with :mod:`~erlen.serving.devprotocol`,
:mod:`~erlen.serving.devpage` and :mod:`~erlen.serving.reloader`); the app's WSGI entry stays
``app.wsgi_app``. A protocol adapter goes here too, one module per protocol. The edges sit beside the app level and may use it and the layers below it; nothing in
:mod:`erlen.http` or :mod:`erlen.routing` may import this package.
"""
