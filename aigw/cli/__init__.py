"""`aigw`: review and enforce the gateway declarations without credentials.

One module per command (plan, check, diff, compare, audit, drift, import_, init, prove), on the group in app.py, with
what they share in common.py; logpush and logs are groups of aigw/logexport/commands.py.

Exit codes (aigw/exits.py; documented in README.md, and under "Exit codes" in docs/policy.md and docs/live.md):
0 clean; 1 mandatory violations or drift; 2 invalid input or usage; 3 Cloudflare API or network failure;
4 the program itself failed (a bug: report it).
"""

from __future__ import annotations

from . import audit, check, compare, diff, drift, import_, init, plan, prove  # noqa: F401 (each registers its command)
from .app import main


def _register_groups() -> None:
    from ..logexport.commands import logpush, logs

    main.add_command(logpush)
    main.add_command(logs)


_register_groups()

__all__ = ["main"]
