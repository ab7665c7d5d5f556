"""``python -m erlen``: the same command line as the ``erlen`` script."""

from erlen.cli import main

if __name__ == "__main__":  # importing the module (pkgutil, docs tools) runs nothing
    main()
