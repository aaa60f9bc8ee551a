"""aigw prove: evidence from the live account that production stores no payloads (docs/prove.md).

:func:`prove` runs the checks of one planned stack (checks.py: prove-entry-paths, prove-sample,
prove-canary) and returns a :class:`ProveResult`; run.py renders it; evidence.py writes and verifies the
evidence file (docs/evidence.md).
"""

from .run import ProveResult, prove

__all__ = ["ProveResult", "prove"]
