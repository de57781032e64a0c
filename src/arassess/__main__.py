"""``python -m arassess``: the same command line as ``arassess``."""

from arassess.cli import main

main(prog_name="arassess")
