"""This repository's Pulumi program (`main: infra/` in Pulumi.yaml): the installed aigw program."""

from aigw.program import main

main()
