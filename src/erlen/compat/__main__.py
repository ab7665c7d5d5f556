"""``python -m erlen.compat``: run a command with erlen.compat installed, or install the hook.

- ``python -m erlen.compat flask db upgrade`` (or ``erlen ...``): erlen's CLI, as the ``flask``
  command of an extension's plugin would run it.
- ``python -m erlen.compat pytest -q tests``: any module runnable with ``python -m``.
- ``python -m erlen.compat path/to/script.py args``: a script.
- ``python -m erlen.compat --install-pth [DIR]``: write ``erlen-compat.pth`` into DIR (default:
  this interpreter's site-packages), so that ``ERLEN_COMPAT=1`` turns compat on at start-up for any
  command, the real ``flask`` console script included. ``--uninstall-pth [DIR]`` removes it.

``ERLEN_COMPAT=1`` is set for the command, so subprocesses it starts get compat too where the
start-up hook is installed.
"""

from __future__ import annotations

import os
import runpy
import sys
import sysconfig

PTH_NAME = "erlen-compat.pth"


def _site_dir(args: list[str]) -> str:
    return args[0] if args else sysconfig.get_paths()["purelib"]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--install-pth":
        from . import pth_line

        path = os.path.join(_site_dir(argv[1:]), PTH_NAME)
        with open(path, "w", encoding="utf-8") as f:
            f.write(pth_line())
        print(f"wrote {path}; set ERLEN_COMPAT=1 to turn erlen.compat on")
        return 0
    if argv[0] == "--uninstall-pth":
        path = os.path.join(_site_dir(argv[1:]), PTH_NAME)
        if os.path.exists(path):
            os.remove(path)
        return 0

    import erlen.compat  # noqa: F401 -- installs the aliases

    os.environ["ERLEN_COMPAT"] = "1"
    command, rest = argv[0], argv[1:]
    if command in ("flask", "erlen"):
        from erlen.cli import cli

        cli.main(args=rest, prog_name=command)  # NOTE: exits, as the console script does
        return 0
    sys.argv = [command, *rest]
    if command.endswith(".py"):
        runpy.run_path(command, run_name="__main__")
    else:
        runpy.run_module(command, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
