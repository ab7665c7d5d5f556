"""Turn a ``bench/run.py`` result into a markdown table and an SVG chart (no plotting library)."""

from __future__ import annotations

import math
import typing as t
from html import escape

NAMES = {
    "erlen": "erlen",
    "flask": "Flask",
    "bottle": "Bottle",
    "falcon": "Falcon",
    "starlette": "Starlette",
    "bare": "bare WSGI",
}
ORDER = ["erlen", "flask", "bottle", "falcon", "starlette", "bare"]
LABELS = {
    "hello": "hello",
    "user": "`/users/<int:id>`",
    "json": "`jsonify(...)`",
    "args": "`args.get`, `get(type=int)`, `getlist`",
    "form": "urlencoded `request.form`",
    "template": "`render_template` (cached)",
    "session": "cookie session read + write",
}
COLORS = {
    "erlen": "#1f77b4",
    "flask": "#7f7f7f",
    "bottle": "#2ca02c",
    "falcon": "#ff7f0e",
    "starlette": "#9467bd",
    "bare": "#bbbbbb",
}


def budget_of(data: dict[str, t.Any], shape: str) -> float | None:
    """The instruction budget of a shape; the template's is raw Jinja2 (bare WSGI) + 40k."""
    budget = data["budgets"].get(shape)
    if shape == "template":
        raw = data["shapes"].get(shape, {}).get("bare", {}).get("instructions")
        return None if raw is None else raw + budget
    return t.cast("float | None", budget)


def _k(value: float | None) -> str:
    return "—" if value is None else f"{value / 1000:,.0f}k"


def markdown(data: dict[str, t.Any]) -> str:
    """Instructions per request (wall µs beside them) per shape and framework, with budgets."""
    present = [n for n in ORDER if any(n in row for row in data["shapes"].values())]
    head = "| request | " + " | ".join(NAMES[n] for n in present) + " | budget | met |"
    lines = [head, "|---|" + "---:|" * (len(present) + 2)]
    for shape, row in data["shapes"].items():
        cells = []
        for name in present:
            cell = row.get(name)
            if cell is None:
                cells.append("—")
                continue
            instr = cell.get("instructions")
            wall = cell.get("wall_us")
            text = _k(instr) if instr is not None else "—"
            if wall is not None:
                text += f" ({wall:,.0f} µs)"
            cells.append(text)
        budget = budget_of(data, shape)
        mine = row.get("erlen", {}).get("instructions")
        met = "—" if budget is None or mine is None else ("yes" if mine <= budget else "no")
        label = LABELS.get(shape, shape)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | ≤ {_k(budget)} | {met} |")
    imports = data.get("imports") or {}
    if imports:
        lines += ["", "| import | instructions | `-X importtime` |", "|---|---:|---:|"]
        for name, row in imports.items():
            instr = row.get("instructions")
            lines.append(
                f"| `import {name}` | {_k(instr)} | {row['importtime_us'] / 1000:,.1f} ms |"
            )
        if "erlen" in imports and "flask" in imports:
            ratio = imports["erlen"]["importtime_us"] / imports["flask"]["importtime_us"]
            text = f"\n`import erlen` takes {ratio:.2f}x Flask's import time"
            if imports["erlen"].get("instructions") and imports["flask"].get("instructions"):
                share = imports["erlen"]["instructions"] / imports["flask"]["instructions"]
                text += f" ({share:.2f}x its instructions)"
            lines.append(text + ".")
    return "\n".join(lines) + "\n"


def svg(data: dict[str, t.Any]) -> str:
    """Grouped horizontal bars, one group per shape, log scale of instructions per request."""
    shapes = [
        s for s, row in data["shapes"].items() if any("instructions" in c for c in row.values())
    ]
    present = [n for n in ORDER if any(n in data["shapes"][s] for s in shapes)]
    bar, gap, left, width = 11, 14, 210, 560
    values = [
        c["instructions"]
        for s in shapes
        for c in data["shapes"][s].values()
        if c.get("instructions")
    ]
    lo = 10 ** math.floor(math.log10(min(values))) if values else 1000
    hi = 10 ** math.ceil(math.log10(max(values))) if values else 10**7

    def x(v: float) -> float:
        return left + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * width

    height = 40 + len(shapes) * (len(present) * bar + gap) + 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" height="{height}"'
        ' font-family="sans-serif" font-size="11">',
        f'<text x="{left}" y="18" font-size="13">Instructions per request (callgrind,'
        " log scale; fewer is better)</text>",
    ]
    decade = lo
    while decade <= hi:
        out.append(
            f'<line x1="{x(decade):.1f}" y1="26" x2="{x(decade):.1f}" y2="{height - 40}"'
            ' stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{x(decade):.1f}" y="{height - 28}" text-anchor="middle">{_k(decade)}</text>'
        )
        decade *= 10
    y = 32
    for shape in shapes:
        label = LABELS.get(shape, shape).replace("`", "")
        mid = y + len(present) * bar / 2 + 4
        out.append(f'<text x="{left - 8}" y="{mid:.0f}" text-anchor="end">{escape(label)}</text>')
        for name in present:
            cell = data["shapes"][shape].get(name, {})
            v = cell.get("instructions")
            if v:
                out.append(
                    f'<rect x="{left}" y="{y}" width="{x(v) - left:.1f}" height="{bar - 2}"'
                    f' fill="{COLORS[name]}"><title>{NAMES[name]}: {v:,.0f}</title></rect>'
                )
                out.append(f'<text x="{x(v) + 3:.1f}" y="{y + bar - 3}">{_k(v)}</text>')
            y += bar
        y += gap
    lx = left
    for name in present:
        out.append(
            f'<rect x="{lx}" y="{height - 18}" width="10" height="10" fill="{COLORS[name]}"/>'
        )
        out.append(f'<text x="{lx + 14}" y="{height - 9}">{NAMES[name]}</text>')
        lx += 90
    out.append("</svg>")
    return "\n".join(out) + "\n"
