"""`python -m aigw.cli`: the same as `aigw`."""

from . import main

main()
