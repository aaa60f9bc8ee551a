"""`aigw` exit codes, named in one place (README.md "Exit codes", docs/policy.md, docs/live.md).

Every command keeps to the same meanings, so a workflow can tell a finding from a broken input
from a bug: review.yml lets `aigw check` exit 1 (findings) through where it only wants the SARIF,
and fails the job on 2 and 4.
"""

from __future__ import annotations

OK = 0
"""Clean: planned, no mandatory finding, no drift."""

FINDINGS = 1
"""Mandatory policy violations (`aigw check`), or something found or drifted (`aigw audit`, `aigw drift`)."""

INVALID = 2
"""Invalid input or usage: a stack file, Pulumi.yaml, the policy config, an argument. Each problem is
printed as ``FILE[:LINE]: key.path: value: what is allowed``."""

API = 3
"""The Cloudflare API or the network failed (live commands only)."""

BUG = 4
"""The program itself failed (an unexpected exception, or the Pulumi program failing while planning):
a bug, please report it. ``AIGW_DEBUG=1`` shows the traceback."""

DEBUG_ENV = "AIGW_DEBUG"


def debug() -> bool:
    """Whether ``AIGW_DEBUG=1``: tracebacks are shown instead of one line."""
    import os

    return os.environ.get(DEBUG_ENV) == "1"
