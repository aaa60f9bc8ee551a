"""`python -m aigw`: the `aigw` command line."""

from aigw.cli import main

main()
