"""The Pulumi program: `deploy(spec)` declares every resource of one stack; `main()` is the program a
project runs under the Pulumi CLI.

A plain function: the Pulumi CLI (via the project's `__main__.py`, one line: ``from aigw.program import
main; main()``), the offline plan (under mocks) and the tests all call it, so there is exactly one
description of the resources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare

from . import fields
from .components.gateway import Gateway
from .components.log_export import LogExport
from .components.tokens import ApiToken
from .components.workers import EdgeWorker, TeamWorker
from .spec import StackSpec


def deploy(spec: StackSpec) -> dict[str, Any]:
    """Declare the stack's resources; export and return what clients and operators need."""
    project_dir = Path(spec.project_dir)
    tokens = {t.name: ApiToken(spec, t) for t in spec.tokens}
    store = secrets_store(spec)
    gateways = {gw.name: Gateway(spec, gw, store_id=store.id if store is not None else None) for gw in spec.gateways}
    exports: dict[str, Any] = {
        "environment": spec.environment,
        "accountId": spec.account_id,
        "gateways": {name: g.exports() for name, g in gateways.items()},
    }
    edges = {
        gw.name: EdgeWorker(spec, gw, tokens[gw.edge.token].resource.value, project_dir)
        for gw in spec.gateways if gw.edge is not None
    }
    for name, edge in edges.items():
        exports["gateways"][name]["edgeWorker"] = {"scriptName": edge.script_name, "url": edge.url}
    if spec.logpush is not None and spec.logpush.destination is not None:
        exports["logExport"] = LogExport(spec).exports()
    if tokens:
        # Token values only ever leave as secrets (`pulumi stack output tokens --show-secrets`).
        exports["tokens"] = {name: t.exports() for name, t in tokens.items()}
    if spec.workers:
        exports["workers"] = {w.name: TeamWorker(spec, w, project_dir).exports() for w in spec.workers}
    for key, value in exports.items():
        pulumi.export(key, value)
    return exports


def secrets_store(spec: StackSpec) -> Any:
    """The stack's Secrets Store, where provider keys of gateways without a storeId of their own live
    (one per stack, `aigw-<stack>`); None when no gateway needs it."""
    if not any(gw.provider_keys and gw.store_id is None for gw in spec.gateways):
        return None
    return cloudflare.SecretsStore(
        "provider-keys", **fields.inputs(fields.SECRETS_STORE, account_id=spec.account_id, name=f"aigw-{spec.stack}"))


def main() -> dict[str, Any]:
    """The program under the Pulumi CLI: the running stack's config (Pulumi.yaml and Pulumi.<stack>.yaml,
    read through the engine), deployed. A project's `__main__.py` (``main:`` in Pulumi.yaml) calls it."""
    from .config import load_pulumi_config

    return deploy(load_pulumi_config())
