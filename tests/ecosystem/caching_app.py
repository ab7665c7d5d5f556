"""Flask-Caching on erlen: @cached serves from the cache; abort(404) inside a cached view is a 404,
cached and re-raised on a hit (Flask-Caching >= 2.5 catches Werkzeug's HTTPException around the
view, which under compat is erlen's); memoize and delete_memoized."""

from __future__ import annotations

from _common import run
from flask import Flask, abort
from flask_caching import Cache

calls: list[str] = []


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(CACHE_TYPE="SimpleCache", CACHE_DEFAULT_TIMEOUT=300, TESTING=True)
    cache = Cache(app)

    @app.route("/item/<int:item_id>")
    @cache.cached(query_string=True)
    def item(item_id: int):  # type: ignore[no-untyped-def]
        calls.append(f"item{item_id}")
        if item_id > 10:
            abort(404, description="no such item")
        return f"item {item_id} v{len(calls)}"

    @cache.memoize()
    def square(n: int) -> int:
        calls.append(f"square{n}")
        return n * n

    @app.route("/square/<int:n>")
    def square_view(n: int):  # type: ignore[no-untyped-def]
        return str(square(n))

    @app.route("/forget/<int:n>")
    def forget(n: int):  # type: ignore[no-untyped-def]
        cache.delete_memoized(square, n)
        return "forgotten"

    return app


def cached_view() -> None:
    client = create_app().test_client()
    calls.clear()
    first = client.get("/item/1").text
    assert client.get("/item/1").text == first
    assert calls == ["item1"]
    assert client.get("/item/1?x=2").text != first  # another query string, another entry


def abort_inside_cached_view() -> None:
    client = create_app().test_client()
    calls.clear()
    resp = client.get("/item/11")
    assert resp.status_code == 404
    assert "no such item" in resp.text
    again = client.get("/item/11")
    assert again.status_code == 404 and "no such item" in again.text
    assert calls == ["item11"]  # the view ran once; the hit re-raised the cached error


def memoize() -> None:
    client = create_app().test_client()
    calls.clear()
    assert client.get("/square/4").text == "16"
    assert client.get("/square/4").text == "16"
    assert calls == ["square4"]
    client.get("/forget/4")
    client.get("/square/4")
    assert calls == ["square4", "square4"]


if __name__ == "__main__":
    run(cached_view, abort_inside_cached_view, memoize)
