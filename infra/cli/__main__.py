"""`python -m infra.cli`: the same as `aigw`."""

from . import main

main()
