"""The docs site: ``mkdocs build --strict`` must succeed, its nav must list every page, and the
configuration reference must name every built-in key with its real default.

The build runs MkDocs (Material theme, mkdocstrings for the API reference in docs/api/) in a
subprocess, exactly as a contributor would; any warning (a broken link, a missing nav entry, a
docstring griffe cannot read) fails it, and its output is the failure message.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import yaml

from erlen import Erlen

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _nav_files(node: object) -> list[str]:
    """Every page file named anywhere in an mkdocs ``nav`` tree."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [f for item in node for f in _nav_files(item)]
    if isinstance(node, dict):
        return [f for value in node.values() for f in _nav_files(value)]
    raise AssertionError(f"unexpected nav entry {node!r}")


def test_nav_lists_every_page_once() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = _nav_files(config["nav"])
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(set(nav)) == pages, (
        f"not in the nav: {sorted(set(pages) - set(nav))}; "
        f"in the nav but missing: {sorted(set(nav) - set(pages))}"
    )
    assert len(nav) == len(set(nav)), "a page is listed twice in the nav"


def test_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = dict(os.environ)
    # The Material theme prints a banner about its future; it is not a build warning.
    env["NO_MKDOCS_2_WARNING"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # NOTE: a does-not-hang guard only; the build takes about half a minute
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{output}"
    assert "WARNING" not in output, output

    # Every page was written, and the API reference was really drawn from the docstrings.
    for page in DOCS.rglob("*.md"):
        rel = page.relative_to(DOCS).with_suffix("")
        built = site / (rel.parent if rel.name == "index" else rel) / "index.html"
        assert built.is_file(), f"{page.name} was not built ({built})"
    app_page = (site / "api" / "app" / "index.html").read_text(encoding="utf-8")
    for member in ("erlen.app.Erlen.route", "erlen.app.Erlen.wsgi_app", "erlen.app.Erlen.run"):
        assert f'id="{member}"' in app_page, f"{member} is missing from the API reference"
    wrappers = (site / "api" / "wrappers" / "index.html").read_text(encoding="utf-8")
    assert 'id="erlen.wrappers.Request.get_json"' in wrappers
    assert 'id="erlen.wrappers.Response.set_cookie"' in wrappers
    sessions = (site / "api" / "sessions" / "index.html").read_text(encoding="utf-8")
    for name in ("ext.Session", "server.ServerSideSession", "stores.base.Store"):
        assert f'id="erlen.sessions.{name}"' in sessions, (
            f"{name} is missing from the API reference"
        )
    # Sphinx roles in the docstrings (:class:`X`) are shown as code, not written out literally
    # (scripts/griffe_rst_roles.py, loaded by mkdocs.yml).
    for built in (site / "api").rglob("*.html"):
        text = built.read_text(encoding="utf-8")
        role = re.search(r":(class|meth|func|mod|attr|data|exc|obj):", text)
        assert role is None, f"{built}: {text[role.start() - 80 : role.end() + 80]}"


_ROW = re.compile(r"^\| `(?P<key>[A-Z][A-Z0-9_]*)` \| `(?P<default>[^`]*)` \|", re.M)


def test_configuration_reference_names_every_key_with_its_default() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    rows = {m.group("key"): m.group("default") for m in _ROW.finditer(text)}
    assert len(_ROW.findall(text)) == len(rows), "a key has two rows"
    defaults = Erlen.default_config
    assert sorted(rows) == sorted(defaults), (
        f"undocumented: {sorted(set(defaults) - set(rows))}; "
        f"not a built-in key: {sorted(set(rows) - set(defaults))}"
    )
    for key, written in rows.items():
        # The default column is a Python expression; only timedelta is needed beyond literals.
        value = eval(written, {"__builtins__": {}, "timedelta": timedelta})
        assert value == defaults[key], (
            f"{key}: the page says {written}, erlen has {defaults[key]!r}"
        )
