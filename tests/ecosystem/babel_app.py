"""Flask-Babel on erlen: locale from Accept-Language or a query parameter, format_date and
the template filters follow it, gettext is in templates."""

from __future__ import annotations

from datetime import date

from _common import run
from flask import Flask, render_template_string, request
from flask_babel import Babel, format_date, get_locale


def select_locale() -> str | None:
    return request.args.get("lang") or request.accept_languages.best_match(["en", "de", "fr"])


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, BABEL_DEFAULT_LOCALE="en")
    Babel(app, locale_selector=select_locale)

    @app.route("/today")
    def today():  # type: ignore[no-untyped-def]
        return f"{get_locale()}|{format_date(date(2024, 3, 5), 'long')}"

    @app.route("/tpl")
    def tpl():  # type: ignore[no-untyped-def]
        return render_template_string(
            "{{ _('Hello') }} {{ d|dateformat('long') }} {{ 1234.5|decimalformat }}",
            d=date(2024, 3, 5),
        )

    return app


def locale_selection_and_format_date() -> None:
    client = create_app().test_client()
    assert client.get("/today").text == "en|March 5, 2024"
    assert client.get("/today", headers={"Accept-Language": "de-DE,de;q=0.9"}).text == (
        "de|5. März 2024"
    )
    assert client.get("/today?lang=fr").text == "fr|5 mars 2024"
    assert client.get("/tpl?lang=de").text == "Hello 5. März 2024 1.234,5"
    assert client.get("/tpl").text == "Hello March 5, 2024 1,234.5"


if __name__ == "__main__":
    run(locale_selection_and_format_date)
