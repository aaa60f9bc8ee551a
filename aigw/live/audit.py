"""`aigw audit --account ID`: everything in the account against this repository's declarations.

One list of the account's gateways (pages of 100), matched to the declared stacks of this
repository by account and gateway id: unmanaged gateways (the auto-created `default` named as
such), declared but missing, drift per field, and the policy's resource rules on the live
settings. Stack rules (edge Workers, Logpush jobs, tokens) need the resource graph and are not
run on live settings: `aigw check` and the pack cover them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigw_policy import RULES, Context, Finding, Resource, evaluate
from aigw_policy.rules import DEFAULT_GATEWAY_ID, GATEWAY, LOGPUSH_JOB
from aigw_policy.values import UNKNOWN

from ..check.config import Settings
from ..markdown import cell
from .drift import StackDrift, declared_gateways, drift, jobs_or_skip, shown
from .mapping import UNKNOWN_WHEN_ABSENT, live_props, mark_credentials

UNMANAGED_ENVIRONMENT = "unmanaged"


@dataclass
class Unmanaged:
    gateway_id: str
    note: str


@dataclass
class AuditResult:
    account: str
    live: int
    unmanaged: list[Unmanaged] = field(default_factory=list)
    stacks: list[StackDrift] = field(default_factory=list)
    findings: list[tuple[str, Finding]] = field(default_factory=list)  # (gateway id, finding)
    requests: int = 0
    skipped: str | None = None  # a check not run (the Logpush job without Logs Write), one line

    @property
    def found(self) -> bool:
        return bool(self.unmanaged or self.findings or any(not s.clean for s in self.stacks))


def _live_findings(gateways: Sequence[Mapping[str, Any]], account: str,
                   owner: Mapping[str, tuple[Mapping[str, Any], str]], settings: Settings) -> list[tuple[str, Finding]]:
    """``owner``: gateway id -> (the declaring stack's plan, the gateway's logical name)."""
    rules = [r for r in RULES if r.scope == "resource" and GATEWAY in r.types]
    out: list[tuple[str, Finding]] = []
    for gw in gateways:
        plan, name = owner.get(gw["id"], (None, gw["id"]))
        environment = plan["environment"] if plan else UNMANAGED_ENVIRONMENT
        # An unmanaged gateway is judged as production: nothing says it is not.
        production = [environment] if (plan is None or plan.get("production")) else []
        ctx = Context(plan["stack"] if plan else "-", environment, bool(production), account, live=True)
        props = mark_credentials(live_props(gw, account))
        # A setting the API left out is not known to be off (authentication: new gateways have it
        # on and cannot turn it off, older ones may be off): the rules judge it as unknown.
        props.update({key: UNKNOWN for key in UNKNOWN_WHEN_ABSENT if key not in props})
        resource = Resource(GATEWAY, name, props)
        # An unmanaged gateway has no environment, so no id convention to follow.
        applicable = rules if plan else [r for r in rules if r.id != "gateway-id-naming"]
        out += [(gw["id"], f) for f in evaluate(applicable, [resource], ctx, settings, production)]
    return out


def audit(client: Any, account: str, plans: Sequence[Mapping[str, Any]], settings: Settings,
          with_jobs: bool = False) -> AuditResult:
    """``plans``: the offline plans of the repository's stacks (those of other accounts are ignored)."""
    live = client.gateways(account)
    ours = [p for p in plans if p.get("accountId") == account]
    exports = any(r["type"] == LOGPUSH_JOB for p in ours for r in p["resources"])
    jobs, skipped = jobs_or_skip(client, account) if with_jobs and exports else (None, None)
    result = AuditResult(account, len(live), skipped=skipped)
    owner: dict[str, tuple[Mapping[str, Any], str]] = {}
    for plan in ours:
        for gid, resource in declared_gateways(plan).items():
            owner[gid] = (plan, resource["name"])
        result.stacks.append(drift(plan, live, jobs))
    for gw in live:
        if gw["id"] in owner:
            continue
        note = ("auto-created by Cloudflare (any authenticated request to the id `default` creates it, logs on; "
                "it is re-created after a delete)" if gw["id"] == DEFAULT_GATEWAY_ID or gw.get("is_default")
                else "not declared by any stack of this repository (`aigw import` adopts it)")
        result.unmanaged.append(Unmanaged(gw["id"], note))
    result.findings = _live_findings(live, account, owner, settings)
    result.requests = client.requests
    return result


def to_text(r: AuditResult) -> str:
    lines = [f"account {r.account}: {r.live} gateway(s) live, {len(r.unmanaged)} unmanaged, "
             f"{sum(len(s.missing) for s in r.stacks)} missing, {sum(len(s.drift) for s in r.stacks)} drifted "
             f"field(s), {len(r.findings)} policy finding(s); {r.requests} API request(s)"]
    for u in r.unmanaged:
        lines.append(f"  UNMANAGED  {u.gateway_id}: {u.note}")
    for s in r.stacks:
        for name, gid in s.missing:
            lines.append(f"  MISSING    {gid} (stack {s.stack}, aigw:gateways.{name}): declared, not in the account; "
                         f"`pulumi up -s {s.stack}` creates it")
        for d in s.drift:
            lines.append(f"  DRIFT      {d.live_id} (stack {s.stack}) {d.field}: declared {shown(d.declared)}, "
                         f"live {shown(d.live)}")
            lines.append(f"             {d.hint(s.stack)}")
    for gid, f in r.findings:
        lines.append(f"  {f.level.upper():9}  {gid}: {f.policy}: {f.message}")
    lines.append("audit: " + ("findings (exit 1)" if r.found else "clean"))
    return "\n".join(lines)


def to_json(r: AuditResult) -> str:
    return json.dumps({
        "account": r.account, "live": r.live, "requests": r.requests,
        "unmanaged": [{"id": u.gateway_id, "note": u.note} for u in r.unmanaged],
        "stacks": [{"stack": s.stack, "missing": [{"name": n, "id": g} for n, g in s.missing],
                    "drift": [{"resource": {"type": d.resource[0], "name": d.resource[1]}, "id": d.live_id,
                               "field": d.field, "declared": d.declared, "live": d.live, "hint": d.hint(s.stack)}
                              for d in s.drift]} for s in r.stacks],
        "findings": [{"id": gid, **f.as_json()} for gid, f in r.findings],
        "skipped": [r.skipped] if r.skipped else [],
        "found": r.found,
    }, indent=2)


def to_markdown(r: AuditResult) -> str:
    out = [f"## aigw audit: account `{r.account}`", "",
           f"{r.live} gateway(s) live; {r.requests} API request(s).", ""]
    if r.unmanaged:
        out += ["### Unmanaged", ""] + [f"- `{u.gateway_id}`: {u.note}" for u in r.unmanaged] + [""]
    for s in r.stacks:
        if s.clean:
            continue
        out += [f"### Stack `{s.stack}`", ""]
        out += [f"- missing `{g}` (aigw:gateways.{n})" for n, g in s.missing]
        if s.drift:
            out += ["", "| gateway | field | declared | live |", "|---|---|---|---|"]
            out += [f"| `{d.live_id}` | {cell(d.field)} | {cell(shown(d.declared))} | {cell(shown(d.live))} |"
                    for d in s.drift]
        out.append("")
    if r.findings:
        out += ["### Policy on live settings", "", "| gateway | level | policy | message |", "|---|---|---|---|"]
        out += [f"| `{g}` | {f.level} | `{f.policy}` | {cell(f.message)} |" for g, f in r.findings]
    return "\n".join(out).rstrip() + "\n"


def to_sarif(r: AuditResult) -> str:
    from ..check.format import SARIF_SCHEMA, tool_driver

    rules = [{"id": "unmanaged-gateway",
              "shortDescription": {"text": "A gateway no stack of this repository declares."}},
             {"id": "missing-gateway", "shortDescription": {"text": "A declared gateway that is not in the account."}},
             {"id": "drift", "shortDescription": {"text": "A live setting that differs from its declaration."}}]
    rules += [{"id": rule.id, "shortDescription": {"text": rule.description}} for rule in RULES]
    index = {rule["id"]: i for i, rule in enumerate(rules)}

    def result(rule_id: str, level: str, text: str, gid: str) -> dict[str, Any]:
        return {"ruleId": rule_id, "ruleIndex": index[rule_id], "level": level, "message": {"text": text},
                "locations": [{"logicalLocations": [{"name": gid, "kind": "resource",
                                                     "fullyQualifiedName": f"{r.account}/{gid}"}]}]}

    results = [result("unmanaged-gateway", "warning", f"{u.gateway_id}: {u.note}", u.gateway_id) for u in r.unmanaged]
    for s in r.stacks:
        results += [result("missing-gateway", "error", f"{g} (stack {s.stack}) is declared but not live", g)
                    for _, g in s.missing]
        results += [result("drift", "error", f"{d.field}: declared {shown(d.declared)}, live {shown(d.live)}. "
                           f"{d.hint(s.stack)}", d.live_id) for d in s.drift]
    results += [result(f.policy, "error" if f.level == "mandatory" else "warning", f.message, g) for g, f in r.findings]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": tool_driver(rules)},
        "results": results}]}, indent=2)
