"""Request-shape benchmark: erlen against Flask, Bottle, Falcon, Starlette and bare WSGI, one run.

    python bench/run.py                      # every shape, every framework, plus import cost
    python bench/run.py --shapes hello json  # some shapes only
    python bench/run.py --no-callgrind       # wall time only (fast, noisy)

Instructions per request come from one callgrind run per framework: the driver marks the start
and end of N requests of each shape and callgrind dumps its counts at each mark, so start-up,
imports and warm-up are outside every count. They are stable under machine noise;
wall time is printed beside them for scale only. The import rows are callgrind's count for
``python -c "import X"`` minus the bare interpreter's, and the ``-X importtime`` total (best of
five). Results go to bench/out/results.json, bench/out/results.md and bench/out/chart.svg.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import typing as t

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
DRIVER = os.path.join(HERE, "driver.py")
OUT = os.path.join(HERE, "out")
sys.path.insert(0, HERE)
import apps  # noqa: E402
import report  # noqa: E402

# Budgets of issue 11 (instructions per request); the template budget is raw Jinja2 + 40k.
BUDGETS = {
    "hello": 40_000,
    "user": 50_000,
    "json": 65_000,
    "args": 60_000,
    "form": 75_000,
    "template": 40_000,
    "session": 200_000,
}


def _env() -> dict[str, str]:
    # NOTE: the measured process must import this checkout's erlen, not an installed copy; a
    # fixed hash seed makes instruction counts repeatable from run to run.
    path = os.environ.get("PYTHONPATH")
    env = dict(os.environ)
    # NOTE: with bytecode writing off, every import of the checkout would compile its sources
    # while installed packages load theirs from .pyc: an unfair import row.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return dict(
        env,
        PYTHONPATH=SRC + (os.pathsep + path if path else ""),
        PYTHONHASHSEED="0",
        PYTHONWARNINGS="ignore",
    )


def _check_erlen_source(stderr: str) -> None:
    match = re.search(r"erlen from (\S+)", stderr)
    if match is None or not match.group(1).startswith(SRC + os.sep):
        raise RuntimeError(f"the measured process did not import erlen from {SRC}: {stderr[-500:]}")


def wall_us(name: str, shape: str, n: int) -> float:
    out = subprocess.run(
        [sys.executable, DRIVER, name, shape, str(n), "time"],
        check=True,
        capture_output=True,
        text=True,
        env=_env(),
    )
    if name == "erlen":
        _check_erlen_source(out.stderr)
    return float(out.stdout.strip().splitlines()[-1])


def callgrind(args: list[str]) -> tuple[int, str]:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *args],
        check=True,
        capture_output=True,
        text=True,
        env=_env(),
    )
    match = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if match is None:
        raise RuntimeError(f"no callgrind total for {args}:\n{out.stderr[-2000:]}")
    return int(match.group(1)), out.stderr


def phase_instructions(name: str, shapes: list[str], n: int) -> dict[str, float]:
    """Instructions per request of each shape, from one callgrind run of the framework.

    The driver calls ``os.getppid()`` between phases and callgrind dumps its counts there
    (``--dump-before``), so each dump holds N requests of one shape and nothing else.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out_file = os.path.join(tmp, "cg.out")
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out_file}",
                "--dump-before=os_getppid*",
                sys.executable,
                DRIVER,
                name,
                "phases",
                str(n),
                ",".join(shapes),
            ],
            check=True,
            capture_output=True,
            text=True,
            env=_env(),
        )
        if name == "erlen":
            _check_erlen_source(proc.stderr)
        totals = []
        # Dump 1 is everything before the first marker; dumps 2..k+1 are the phases.
        for i in range(2, len(shapes) + 2):
            with open(f"{out_file}.{i}") as f:
                match = re.search(r"^totals:\s*(\d+)", f.read(), re.M)
            if match is None:
                raise RuntimeError(f"no totals in callgrind dump {i} of {name}")
            totals.append(int(match.group(1)))
    return {shape: total / n for shape, total in zip(shapes, totals, strict=True)}


def import_row(name: str, use_callgrind: bool) -> dict[str, float]:
    """What ``import name`` costs: instructions over a bare interpreter, and -X importtime."""
    row: dict[str, float] = {}
    subprocess.run([sys.executable, "-m", "compileall", "-q", SRC], check=True, env=_env())
    subprocess.run([sys.executable, "-c", f"import {name}"], check=True, env=_env())
    if use_callgrind:
        bare, _ = callgrind([sys.executable, "-c", "pass"])
        total, _ = callgrind([sys.executable, "-c", f"import {name}"])
        row["instructions"] = total - bare
    best = float("inf")
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {name}"],
            check=True,
            capture_output=True,
            text=True,
            env=_env(),
        )
        # The last line is the top-level package; its cumulative column is the whole import.
        for line in out.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[2].strip() == name:
                best = min(best, int(parts[1].strip()))
    row["importtime_us"] = best
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("-n", type=int, default=300, help="requests per callgrind run")
    parser.add_argument("--wall-n", type=int, default=500, help="requests per timed run")
    parser.add_argument("--frameworks", nargs="*", default=apps.FRAMEWORKS)
    parser.add_argument("--shapes", nargs="*", default=apps.SHAPES)
    parser.add_argument("--no-import", action="store_true", help="skip the import rows")
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the other cells of bench/out/results.json, replace only the ones measured",
    )
    parser.add_argument("-j", "--jobs", type=int, default=2, help="callgrind runs in parallel")
    args = parser.parse_args()
    use_callgrind = not args.no_callgrind and shutil.which("valgrind") is not None

    cells = [
        (shape, name)
        for shape in args.shapes
        for name in args.frameworks
        if shape in apps.SHAPES_OF[name]
    ]
    previous: dict[str, t.Any] = {}
    if args.update and os.path.exists(os.path.join(OUT, "results.json")):
        with open(os.path.join(OUT, "results.json")) as f:
            previous = json.load(f)
    results: dict[str, dict[str, dict[str, float]]] = previous.get("shapes", {})
    for shape in args.shapes:
        results.setdefault(shape, {})
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {}
        for name in args.frameworks:
            shapes = [shape for shape, fw in cells if fw == name]
            for shape in shapes:
                results[shape][name] = {}
            if use_callgrind and shapes:
                futures[pool.submit(phase_instructions, name, shapes, args.n)] = name
        # NOTE: wall time runs one at a time, beside the callgrind jobs; it is noisy anyway.
        for shape, name in cells:
            results[shape][name]["wall_us"] = wall_us(name, shape, args.wall_n)
        for fut in concurrent.futures.as_completed(futures):
            for shape, instr in fut.result().items():
                results[shape][futures[fut]]["instructions"] = instr
                print(f"  {shape:<9} {futures[fut]:<10} {instr:>12,.0f}", file=sys.stderr)
    imports = previous.get("imports", {})
    if not args.no_import:
        for name in ("erlen", "flask"):
            imports[name] = import_row(name, use_callgrind)

    data = {
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "python": platform.python_version(),
        "versions": _versions(),
        "n": args.n,
        "seconds": round(time.time() - started),
        "budgets": BUDGETS,
        "shapes": {shape: results[shape] for shape in apps.SHAPES if shape in results},
        "imports": imports,
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(data, f, indent=2)
    table = report.markdown(data)
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(table)
    with open(os.path.join(OUT, "chart.svg"), "w") as f:
        f.write(report.svg(data))
    print(table)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for dist in ("flask", "bottle", "falcon", "starlette", "jinja2"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return found


if __name__ == "__main__":
    main()
