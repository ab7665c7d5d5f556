"""The documentation is executable: every ```python block in docs/*.md runs here.

Each page is one test (its id is the page's file name). The page's ```python blocks run in
order in one shared namespace, so a page can build an app in its first block and exercise it
in later ones. Blocks opened with any other info string (```sh, ```text, ```pycon, ...) are
shown to the reader but never run. Each page runs in a fresh temporary working directory,
with ``__name__`` set to ``"docs_example"`` so that ``Erlen(__name__)`` takes that directory
as its ``root_path``.

A block whose first line is ``# run: subprocess`` runs on its own, as a script in a fresh Python
process (same temp directory): for examples that change the whole process, such as
``import erlen.compat``, which must not leak into this test process. It must exit with 0.

A failing example is a failing test: either the page or erlen is wrong. Never skip one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from erlen.globals import _cv_app, _cv_request

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p.name for p in DOCS.glob("*.md"))

#: Pages that may, exceptionally, carry no executed example (they still should if they can).
MAY_HAVE_NO_EXAMPLE = {"benchmarks.md", "differences.md", "limits.md"}

_FENCE_OPEN = re.compile(r"^```(?P<info>[^`\s]*)\s*$")
SUBPROCESS_MARK = "# run: subprocess"


def run_in_subprocess(page: str, line: int, source: str, cwd: Path) -> None:
    """Run one block as a script in a fresh interpreter; fail with its output if it fails."""
    script = cwd / f"{page.removesuffix('.md')}_block_line{line}.py"
    script.write_text("\n" * (line - 1) + source, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parent.parent / "src"), env.get("PYTHONPATH")) if p
    )
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # NOTE: a does-not-hang guard only
    )
    assert proc.returncode == 0, f"{page} block at line {line}:\n{proc.stdout}{proc.stderr}"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, source)`` of every fenced block opened with exactly ```python.

    Fences sit at the start of a line; a block ends at the next line that is exactly ```.
    """
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if m is None:
            i += 1
            continue
        start = i + 1
        end = start
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            raise AssertionError(f"unclosed code fence opened on line {i + 1}")
        if m.group("info") == "python":
            blocks.append((start + 1, "\n".join(lines[start:end]) + "\n"))
        i = end + 1
    return blocks


def _pop_leaked_contexts() -> list[str]:
    """Pop any request/app context an example left pushed; describe what was popped."""
    leaked = []
    for _ in range(100):
        ctx = _cv_request.get(None)
        if ctx is None:
            break
        leaked.append(repr(ctx))
        ctx.pop()
    for _ in range(100):
        ctx = _cv_app.get(None)
        if ctx is None:
            break
        leaked.append(repr(ctx))
        ctx.pop()
    return leaked


def test_extracts_only_python_blocks() -> None:
    text = (
        "intro\n```python\na = 1\n```\n```sh\nerlen run\n```\n"
        "```pycon\n>>> 1\n```\n```python3\nnope\n```\n```python\nb = 2\n```\n"
    )
    assert python_blocks(text) == [(3, "a = 1\n"), (15, "b = 2\n")]


def test_every_page_is_in_the_index() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([\w.-]+\.md)(?:#[\w-]*)?\)", index))
    missing = set(PAGES) - linked - {"index.md"}
    assert not missing, f"docs/index.md does not link to {sorted(missing)}"


@pytest.mark.parametrize("page", PAGES)
def test_links_between_pages_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    targets = set(re.findall(r"\]\(([\w.-]+\.md)(?:#[\w-]*)?\)", text))
    broken = sorted(t for t in targets if not (DOCS / t).is_file())
    assert not broken, f"{page} links to missing pages {broken}"


@pytest.mark.parametrize("page", PAGES)
def test_no_python_example_is_indented(page: str) -> None:
    # NOTE: a ```python fence indented under an admonition (!!! note) or a content tab (=== "A")
    # would render on the site but never run here; keep examples at the left margin.
    text = (DOCS / page).read_text(encoding="utf-8")
    indented = [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s+```python", line)]
    assert not indented, f"{page}: indented ```python fences on lines {indented} would not run"


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = python_blocks(text)
    if not blocks:
        if page in MAY_HAVE_NO_EXAMPLE:
            return
        pytest.fail(f"{page} has no ```python example; every page must carry one")

    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_example"}
    try:
        for n, (line, source) in enumerate(blocks, start=1):
            if source.startswith(SUBPROCESS_MARK):
                run_in_subprocess(page, line, source, tmp_path)
                continue
            # Pad with blank lines so tracebacks give the line number in the .md file.
            # dont_inherit: this module's `from __future__ import annotations` must not leak
            # into the examples.
            code = compile(
                "\n" * (line - 1) + source, f"{page}:block{n}", "exec", dont_inherit=True
            )
            exec(code, namespace)
    finally:
        leaked = _pop_leaked_contexts()
    assert not leaked, f"{page} left contexts pushed: {leaked}"
