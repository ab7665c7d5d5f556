"""Hello-request benchmark: erlen against Flask, Bottle, Falcon and Starlette in the same run.

    python bench/run.py                 # wall time and callgrind instructions, all frameworks
    python bench/run.py --no-callgrind  # wall time only (fast)

Instructions per request come from callgrind: the difference between a run of 2N and a run of N
requests, divided by N, so start-up and imports cancel out. They are stable under machine noise;
wall time is printed beside them for scale only. Results also go to bench/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "driver.py")
FRAMEWORKS = ["erlen", "flask", "bottle", "falcon", "starlette"]


def wall_us(name: str, n: int) -> float:
    out = subprocess.run(
        [sys.executable, DRIVER, name, str(n), "time"], check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip())


def instructions(name: str, n: int) -> int:
    # NOTE: a fixed hash seed makes the count repeatable from run to run.
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            DRIVER,
            name,
            str(n),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    match = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
    if match is None:
        raise RuntimeError(f"no callgrind total for {name}:\n{out.stderr[-2000:]}")
    return int(match.group(1))


def per_request_instructions(name: str, n: int) -> float:
    return (instructions(name, 2 * n) - instructions(name, n)) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("-n", type=int, default=2000, help="requests per callgrind run")
    parser.add_argument("--frameworks", nargs="*", default=FRAMEWORKS)
    args = parser.parse_args()
    use_callgrind = not args.no_callgrind and shutil.which("valgrind") is not None
    results = {}
    for name in args.frameworks:
        row = {"wall_us": wall_us(name, 20000)}
        if use_callgrind:
            row["instructions"] = per_request_instructions(name, args.n)
        results[name] = row
    base = results.get("erlen")
    print(f"{'framework':<10} {'instr/req':>10} {'vs erlen':>9} {'µs/req':>8} {'vs erlen':>9}")
    for name, row in results.items():
        instr = row.get("instructions")
        instr_s = f"{instr:>10.0f}" if instr is not None else f"{'-':>10}"
        ratio_i = (
            f"{instr / base['instructions']:>8.2f}x"
            if instr and base and base.get("instructions")
            else f"{'-':>9}"
        )
        ratio_t = f"{row['wall_us'] / base['wall_us']:>8.2f}x" if base else f"{'-':>9}"
        print(f"{name:<10} {instr_s} {ratio_i} {row['wall_us']:>8.2f} {ratio_t}")
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "results.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
