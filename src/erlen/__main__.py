"""``python -m erlen``: the same command line as the ``erlen`` script."""

from erlen.cli import main

main()
