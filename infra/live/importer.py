"""`aigw import`: live gateways into a stack file, plus a `pulumi import --file` document.

The stack file keeps its comments and layout (ruamel round-trip); existing gateways are left as
they are unless --force. Every setting is written explicitly (off as null), so org or stack
defaults cannot change an adopted gateway: a following `aigw drift` shows no drift. A live
credential is never written: a `secure:` placeholder takes its place, with the command that sets
the real value as a secret.

The import file adopts the gateways on the next `pulumi import --file` instead of recreating them:
each AiGateway under its `aigw:index:Gateway` component, with the import id `<account>/<id>`
(pulumi-cloudflare's import id, reference section 1). The file's `component` and `logicalName`
fields follow Pulumi's import-file format as documented; not run against a `pulumi` binary here.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigw_policy.rules import GATEWAY, is_credential_name

COMPONENT = "aigw:index:Gateway"
PLACEHOLDER = "v1:REPLACE-ME-with-pulumi-config-set-secret"


class ImportError_(Exception):
    """Invalid input for an import (exit 2)."""


@dataclass
class Imported:
    name: str
    gateway_id: str
    written: bool
    secrets: list[str] = field(default_factory=list)  # key paths holding a placeholder


def gateway_name(gateway_id: str, environment: str) -> str:
    prefix = f"{environment}-"
    return gateway_id[len(prefix):] if gateway_id.startswith(prefix) and len(gateway_id) > len(prefix) else gateway_id


def _secure() -> dict[str, str]:
    return {"secure": PLACEHOLDER}


def gateway_config(gw: Mapping[str, Any], environment: str) -> tuple[str, dict[str, Any], list[str]]:
    """(logical name, the gateway's aigw:gateways entry, key paths (under the entry) of credential placeholders)."""
    name = gateway_name(gw["id"], environment)
    secrets: list[str] = []
    entry: dict[str, Any] = {}
    if gw["id"] != f"{environment}-{name}":
        entry["id"] = gw["id"]
    entry["cache"] = {"ttl": gw.get("cache_ttl") or 0, "invalidateOnUpdate": bool(gw.get("cache_invalidate_on_update"))}
    limit, interval = gw.get("rate_limiting_limit") or 0, gw.get("rate_limiting_interval") or 0
    entry["rateLimit"] = ({"limit": limit, "interval": interval,
                           "technique": str(gw.get("rate_limiting_technique") or "fixed").lower()}
                          if limit and interval else None)
    logging: dict[str, Any] = {"collect": bool(gw.get("collect_logs")),
                               "classification": bool(gw.get("log_classification")),
                               "logpush": bool(gw.get("logpush"))}
    logging["maxLogs"] = gw.get("log_management")
    strategy = gw.get("log_management_strategy")
    logging["onFull"] = {"DELETE_OLDEST": "deleteOldest", "STOP_INSERTING": "stopInserting"}.get(
        str(strategy).upper()) if strategy else None
    if gw.get("logpush_public_key"):
        from ruamel.yaml.scalarstring import LiteralScalarString

        key = str(gw["logpush_public_key"])  # a PEM block: written as a YAML block, as a person would
        logging["logpushPublicKey"] = LiteralScalarString(key) if "\n" in key else key
    entry["logging"] = logging
    entry["authentication"] = bool(gw.get("authentication"))
    entry["retry"] = ({"maxAttempts": gw["retry_max_attempts"], "delayMs": gw.get("retry_delay"),
                       "backoff": gw.get("retry_backoff")} if gw.get("retry_max_attempts") else None)
    entry["dlp"] = _dlp(gw.get("dlp"))
    guardrails = gw.get("guardrails") or {}
    g = {side: {k.upper(): v for k, v in (guardrails.get(side) or {}).items() if v} for side in ("prompt", "response")}
    entry["guardrails"] = g if any(g.values()) else None
    otels = []
    for i, otel in enumerate(gw.get("otel") or []):
        o: dict[str, Any] = {"url": otel["url"], "contentType": otel.get("content_type") or "json", "headers": {}}
        for header, value in (otel.get("headers") or {}).items():
            if is_credential_name(header):
                o["headers"][header] = _secure()
                secrets.append(f"otel[{i}].headers.{header}")
            else:
                o["headers"][header] = value
        if otel.get("authorization") is not None:
            o["authorization"] = _secure()
            secrets.append(f"otel[{i}].authorization")
        otels.append(o)
    entry["otel"] = otels
    entry["spendLimits"] = _spend(gw.get("spend_limits"))
    if gw.get("stripe"):
        events = gw["stripe"].get("usage_events") or []
        entry["stripe"] = {"authorization": _secure(), "usageEvents": [{"payload": e.get("payload")} for e in events]}
        secrets.append("stripe.authorization")
    entry["zdr"] = bool(gw.get("zdr"))
    entry["byokOnly"] = bool(gw.get("byok_only"))
    entry["workersAiBillingMode"] = gw.get("workers_ai_billing_mode") or "postpaid"
    if gw.get("store_id"):
        entry["storeId"] = gw["store_id"]
    return name, entry, secrets


def _dlp(dlp: Any) -> dict[str, Any] | None:
    if not isinstance(dlp, Mapping) or not dlp.get("enabled"):
        return None
    if "policies" in dlp:
        return {"enabled": True, "policies": [
            {"id": p["id"], "action": p["action"], "check": list(p.get("check") or []),
             "enabled": p.get("enabled", True), "profiles": list(p.get("profiles") or [])}
            for p in dlp["policies"]]}
    return {"enabled": True, "action": dlp.get("action"), "profiles": list(dlp.get("profiles") or [])}


def _spend(spend: Any) -> dict[str, Any] | None:
    if not isinstance(spend, Mapping) or not spend.get("rules"):
        return None
    rules = []
    for r in spend["rules"]:
        rule: dict[str, Any] = {"limit": r["limit"], "window": r["window"],
                                "technique": r.get("technique") or "sliding", "enabled": r.get("enabled", True)}
        if r.get("id"):
            rule["id"] = r["id"]
        if r.get("model"):
            rule["models"] = list(r["model"].get("values") or [])
        if r.get("provider"):
            rule["providers"] = list(r["provider"].get("values") or [])
        if r.get("metadata"):
            rule["metadata"] = {k: "partition" if v.get("mode") == "partition" else list(v.get("values") or [])
                                for k, v in r["metadata"].items()}
        rules.append(rule)
    return {"enabled": bool(spend.get("enabled", True)), "rules": rules}


def set_secret_command(stack: str, name: str, where: str) -> str:
    return f"pulumi config set -s {stack} --secret --path 'aigw:gateways.{name}.{where}' <value>"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_stack(path: Path, stack: str, account: str, environment: str, gateways: Sequence[Mapping[str, Any]],
                force: bool = False) -> list[Imported]:
    """Add the gateways to ``path`` (created when missing); returns what was (and was not) written."""
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    doc = yaml.load(path.read_text()) if path.exists() else None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, Mapping):
        raise ImportError_(f"{path}: not a stack file (a mapping with `config:`)")
    config = doc.setdefault("config", CommentedMap())
    if config is None:
        config = doc["config"] = CommentedMap()
    declared_account = config.get("aigw:accountId")
    if declared_account is not None and declared_account != account:
        raise ImportError_(f"{path}: aigw:accountId: {declared_account}: the stack is for another account than "
                           f"--account {account}")
    config.setdefault("aigw:accountId", account)
    env = config.setdefault("aigw:environment", environment)
    gateways_map = config.get("aigw:gateways")
    if gateways_map is None:
        gateways_map = config["aigw:gateways"] = CommentedMap()
    out: list[Imported] = []
    for gw in gateways:
        name, entry, secrets = gateway_config(gw, str(env))
        if name in gateways_map and not force:
            out.append(Imported(name, gw["id"], False))
            continue
        gateways_map[name] = entry
        note = f"imported from the live gateway {gw['id']} by `aigw import`"
        if secrets:
            note += "; credentials are placeholders, set each with:\n" + "\n".join(
                set_secret_command(stack, name, where) for where in secrets)
        gateways_map.yaml_set_comment_before_after_key(name, before=note, indent=4)
        out.append(Imported(name, gw["id"], True, secrets))
    buffer = StringIO()
    yaml.dump(doc, buffer)
    _write_atomic(path, buffer.getvalue())
    return out


def import_file(account: str, imported: Sequence[Imported]) -> dict[str, Any]:
    """A `pulumi import --file` document adopting the written gateways."""
    resources: list[dict[str, Any]] = []
    for item in imported:
        if not item.written:
            continue
        parent = f"{item.name}-component"
        resources.append({"type": COMPONENT, "name": parent, "logicalName": item.name, "component": True})
        resources.append({"type": GATEWAY, "name": item.name,
                          "logicalName": item.name, "id": f"{account}/{item.gateway_id}", "parent": parent})
    return {"resources": resources}


def write_import_file(path: Path, document: Mapping[str, Any]) -> None:
    _write_atomic(path, json.dumps(document, indent=2) + "\n")
