"""The Pulumi program: `deploy(spec)` declares every resource of one stack.

A plain function: the Pulumi CLI (via `__main__.py`), the offline plan (under mocks) and the
tests all call it, so there is exactly one description of the resources.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .components.gateway import Gateway
from .components.log_export import LogExport
from .components.tokens import ApiToken
from .spec import StackSpec


def deploy(spec: StackSpec) -> dict[str, Any]:
    """Declare the stack's resources; export and return what clients and operators need."""
    gateways = {gw.name: Gateway(spec, gw) for gw in spec.gateways}
    exports: dict[str, Any] = {
        "environment": spec.environment,
        "accountId": spec.account_id,
        "gateways": {name: g.exports() for name, g in gateways.items()},
    }
    if spec.logpush is not None and spec.logpush.destination is not None:
        exports["logExport"] = LogExport(spec).exports()
    if spec.tokens:
        # Token values only ever leave as secrets (`pulumi stack output tokens --show-secrets`).
        exports["tokens"] = {t.name: ApiToken(spec, t).exports() for t in spec.tokens}
    for key, value in exports.items():
        pulumi.export(key, value)
    return exports
