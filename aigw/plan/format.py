"""Rendering a plan: table (terminal), markdown (pull requests) and json (scripts).

Everything here reads the planned props (camelCase, as the engine and the policy pack see
them), never the spec, so what is shown is what would be sent.
"""

from __future__ import annotations

import json
from typing import Any

from aigw_policy.vocabulary import (
    ACCOUNT_TOKEN,
    AI_GATEWAY,
    DEFAULT_WORKERS_AI_BILLING_MODE,
    LOGPUSH_JOB,
    PROVIDER_CONFIG,
    R2_BUCKET,
    ROUTE_TYPES,
    SECRET_MARK,
    SECRETS_STORE,
    SECRETS_STORE_SECRET,
    WORKERS_SCRIPT,
)
from aigw_policy.vocabulary import API_TOKEN as TOKEN_COMPONENT
from aigw_policy.vocabulary import R2_BUCKET_LIFECYCLE as R2_LIFECYCLE
from aigw_policy.vocabulary import WORKERS_SCRIPT_SUBDOMAIN as WORKERS_SUBDOMAIN

from .. import wording as w

SECRET = SECRET_MARK
COLUMNS = ("gateway", "cache", "rate limit", "logs", "retention", "auth", "protect", "other")
# logManagement / logManagementStrategy are Legacy Logs settings: accounts created on or after 2026-09-24
# store AI Gateway logs "powered by Workers Observability" (Cloudflare docs: AI Gateway > Observability >
# Logging; Limits, "Legacy Logs storage (accounts created before 2026-09-24)"). A stack's config does not
# say which kind of account it deploys to, so the plan marks the values instead of dropping them.
LEGACY_MARK = " *"
LEGACY_NOTE = ("* maxLogs/onFull (logManagement) apply to Legacy Logs only: accounts created on or after "
               "2026-09-24 store logs in Workers Observability, which ignores them.")
# The spec allows authentication off only as `authentication: imported-off` (changelog 2026-11-03: new
# gateways require authentication), so an unauthenticated gateway in a plan is always that one.
AUTH_OFF = f"{w.OFF} (imported-off)"


def to_json(plans: list[dict[str, Any]]) -> str:
    stacks = [
        {
            "stack": p["stack"],
            "environment": p["environment"],
            "production": p["production"],
            "accountId": p["accountId"],
            "resources": p["resources"],
            "outputs": p["outputs"],
        }
        for p in plans
    ]
    return json.dumps({"stacks": stacks}, indent=2, sort_keys=False)


def gateway_row(props: dict[str, Any], options: dict[str, Any], payloads_header: bool | str) -> dict[str, str]:
    """One gateway's effective settings, in the words diff and compare use too (aigw/wording.py)."""
    if not props.get("collectLogs"):
        logs = w.OFF
    else:
        if payloads_header == "edge Worker":
            logs = "collected, payloads off (edge Worker)"
        else:
            logs = "collected, payloads " + ("off (client header)" if payloads_header else "stored")
        if props.get("logClassification"):
            logs += ", classification"
        if props.get("logpush"):
            logs += ", logpush"
    retention = w.log_retention(props)
    retention = retention + LEGACY_MARK if retention else "-"
    other: list[str] = []
    if props.get("retryMaxAttempts"):
        other.append(f"retry {w.retry(props)}")
    if w.dlp(props) != w.OFF:
        other.append(f"DLP {w.dlp(props)}")
    if isinstance(props.get("guardrails"), dict):
        other.append(f"guardrails {w.guardrails(props)}")
    for otel in props.get("otels") or []:
        if isinstance(otel, dict):
            other.append(f"otel {w.otel(otel)}")
    spend = props.get("spendLimits")
    if isinstance(spend, dict) and spend.get("enabled", True):
        other.extend(f"spend {w.spend_rule(rule)}" for rule in spend.get("rules") or [] if isinstance(rule, dict))
    if props.get("stripe"):
        other.append("stripe")
    if props.get("zdr"):
        other.append("zdr")
    if props.get("byokOnly"):
        other.append("byok only")
    if props.get("workersAiBillingMode") not in (None, DEFAULT_WORKERS_AI_BILLING_MODE):
        other.append(f"workers-ai billing {w.workers_ai_billing(props)}")
    if props.get("storeId"):
        other.append(f"store {props['storeId']}")
    return {
        "gateway": str(props.get("aiGatewayId")),
        "cache": w.cache(props),
        "rate limit": w.rate_limit(props),
        "logs": logs,
        "retention": retention,
        "auth": w.ON if props.get("authentication") else AUTH_OFF,
        "protect": "yes" if options.get("protect") else "no",
        "other": "; ".join(other) or "-",
    }


def stack_rows(plan: dict[str, Any]) -> list[dict[str, str]]:
    contracts = {g["id"]: g["clientContract"] for g in plan["outputs"].get("gateways", {}).values()}
    rows = []
    for res in plan["resources"]:
        if res["type"] != AI_GATEWAY:
            continue
        props = res["props"]
        contract = contracts.get(props.get("aiGatewayId"), {})
        enforced = contract.get("enforced", {}).get("cf-aig-collect-log-payload") == "false"
        asked = contract.get("headers", {}).get("cf-aig-collect-log-payload") == "false"
        rows.append(gateway_row(props, res.get("options", {}), "edge Worker" if enforced else asked))
    return rows


def notes(rows: list[dict[str, str]]) -> list[str]:
    """Footnotes of a stack's table: said once, under it."""
    return [LEGACY_NOTE] if any(row["retention"].endswith(LEGACY_MARK) for row in rows) else []


def other_resources(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in plan["resources"] if r["type"] != AI_GATEWAY and "options" in r]


def _binding(binding: dict[str, Any]) -> str:
    return f"{binding.get('name')}: {w.binding(binding)}"


def describe(resource: dict[str, Any], plan: dict[str, Any]) -> str:
    """One line, in settings words, for a resource that is not a gateway."""
    props, kind = resource["props"], resource["type"]
    protect = " [protected]" if resource.get("options", {}).get("protect") else ""
    if kind == ACCOUNT_TOKEN:
        component = next((r["props"] for r in plan["resources"]
                          if r["type"] == TOKEN_COMPONENT and r["name"] == resource["name"]), {})
        ips = (props.get("condition") or {}).get("requestIp") or {}
        where = ""
        if ips.get("ins"):
            where += ", only from " + ", ".join(ips["ins"])
        if ips.get("notIns"):
            where += ", never from " + ", ".join(ips["notIns"])
        return (f"token {props.get('name')}: {component.get('purpose', '?')} "
                f"({w.permissions(component.get('permissionGroups'))}), account {props.get('accountId')} only, "
                f"valid {w.validity(props.get('notBefore', ''), props.get('expiresOn', ''))}{where}")
    if kind == LOGPUSH_JOB:
        exporting = plan["outputs"].get("logExport", {}).get("gateways", [])
        state = "enabled" if props.get("enabled") else "disabled (no gateway has logging.logpush)"
        return (f"logpush job {props.get('name')}: dataset {props.get('dataset')}, {state}, destination "
                f"{props.get('destinationConf')}, gateways {', '.join(exporting) or '-'}{protect}")
    if kind == R2_BUCKET:
        where = ", ".join(f"{k} {props[k]}" for k in ("jurisdiction", "location") if props.get(k))
        return f"r2 bucket {props.get('name')}{' (' + where + ')' if where else ''}{protect}"
    if kind == R2_LIFECYCLE:
        rules = []
        for rule in props.get("rules") or []:
            age = ((rule.get("deleteObjectsTransition") or {}).get("condition") or {}).get("maxAge")
            if age:
                rules.append(f"delete {rule.get('conditions', {}).get('prefix', '')}* after {age // 86400:,} days")
        return f"r2 lifecycle of {props.get('bucketName')}: {'; '.join(rules) or 'no rules'}"
    if kind == WORKERS_SCRIPT:
        bindings = ", ".join(_binding(b) for b in props.get("bindings") or [])
        return (f"worker {props.get('scriptName')}: module {w.module(props)}, "
                f"compatibility date {props.get('compatibilityDate')}, bindings {bindings or '-'}")
    if kind == WORKERS_SUBDOMAIN:
        return f"workers.dev route for {props.get('scriptName')}: {'on' if props.get('enabled') else 'off'}"
    if kind == SECRETS_STORE:
        return f"secrets store {props.get('name')}: provider keys of the stack's gateways"
    if kind == SECRETS_STORE_SECRET:
        return (f"secret {props.get('name')} (scope {', '.join(props.get('scopes') or [])}): "
                f"{SECRET if props.get('value') is not None else 'no value'}")
    if kind == PROVIDER_CONFIG:
        return f"provider key of gateway {props.get('gatewayId')}: {w.provider_key(props)}, from its secret"
    if kind in ROUTE_TYPES:  # AiGatewayDynamicRouting, or a DynamicRoute (a split): the same props
        return f"route dynamic/{props.get('name')} of gateway {props.get('gatewayId')}: {w.route_summary(props)}"
    return f"{kind} {resource['name']}{protect}"


def stack_title(plan: dict[str, Any]) -> str:
    kind = "production" if plan["production"] else "non-production"
    n = len(stack_rows(plan))
    return (f"stack {plan['stack']}: environment {plan['environment']} ({kind}), account {plan['accountId']}, "
            f"{n} gateway{'s' if n != 1 else ''}, {len(plan['resources'])} resources")


def to_markdown(plans: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for plan in plans:
        out.append(f"### {stack_title(plan)}")
        out.append("")
        out.append("| " + " | ".join(COLUMNS) + " |")
        out.append("|" + "---|" * len(COLUMNS))
        rows = stack_rows(plan)
        for row in rows:
            out.append("| " + " | ".join(_md(row[c]) for c in COLUMNS) + " |")
        for note in notes(rows):
            out.extend(["", _md(note).replace("*", "\\*", 1)])  # not a list item
        others = other_resources(plan)
        if others:
            out.append("")
            out.extend(f"- {_md(describe(r, plan))}" for r in others)
        out.append("")
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def print_table(plans: list[dict[str, Any]], file: Any = None) -> None:
    import shutil
    import sys

    from rich.console import Console
    from rich.table import Table

    out = file or sys.stdout
    # A terminal gets its own width; a pipe or file (CI logs) gets wide rows instead of wrapping.
    width = shutil.get_terminal_size().columns if out.isatty() else 400
    console = Console(file=out, width=width, highlight=False, soft_wrap=False)
    for plan in plans:
        table = Table(title=stack_title(plan), title_justify="left", show_lines=False)
        for column in COLUMNS:
            table.add_column(column, overflow="fold")
        rows = stack_rows(plan)
        for row in rows:
            table.add_row(*(row[c] for c in COLUMNS))
        console.print(table)
        for note in notes(rows):
            console.print(f"  {note}", markup=False)
        for r in other_resources(plan):
            console.print(f"  + {describe(r, plan)}", markup=False)
        console.print()
