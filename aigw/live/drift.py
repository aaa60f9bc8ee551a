"""Declared (the offline plan) against live (one list of the account's gateways), field by field."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigw_policy.rules import AI_GATEWAY_LOGPUSH_DATASET, GATEWAY, LOGPUSH_JOB
from aigw_policy.vocabulary import SECRETS_STORE

from .. import fields
from .mapping import differences, live_props

# Where a prop is set in the stack config (to adopt a live value), for the hint: from the field table.
CONFIG_KEYS = fields.config_keys()


def config_key(field_path: str) -> str:
    top = field_path.split(".", 1)[0].split("[", 1)[0]
    return CONFIG_KEYS.get(top, top)


@dataclass
class FieldDrift:
    resource: tuple[str, str]  # (type, logical name)
    live_id: str
    field: str
    declared: Any
    live: Any

    def hint(self, stack: str) -> str:
        if self.resource[0] == LOGPUSH_JOB:
            if self.field == "(job)":
                return f"the job is declared (aigw:logpush) but not in the account: `pulumi up -s {stack}` creates it"
            return (f"re-apply the declaration with `pulumi up -s {stack}`, or adopt the live value: set "
                    f"aigw:logpush.{self.field} in Pulumi.{stack}.yaml")
        return (f"re-apply the declaration with `pulumi up -s {stack}`, or adopt the live value: set "
                f"aigw:gateways.{self.resource[1]}.{config_key(self.field)} in Pulumi.{stack}.yaml")


@dataclass
class StackDrift:
    stack: str
    account_id: str
    drift: list[FieldDrift] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (logical name, gateway id) declared, not live
    matched: int = 0

    @property
    def clean(self) -> bool:
        return not self.drift and not self.missing


def jobs_or_skip(client: Any, account_id: str) -> tuple[list[dict[str, Any]] | None, str | None]:
    """The account's Logpush jobs, or (None, the one line saying the job check was skipped) when the
    token lacks the permission: Logpush has no read-only permission ("Logs Write" even to list
    jobs, Cloudflare Logs docs, Permissions), so a read-only token cannot see the job; the gateway
    checks still run and the exit code is theirs. Any other failure is raised (exit 3)."""
    from .client import PermissionMissing

    try:
        return client.logpush_jobs(account_id), None
    except PermissionMissing as exc:
        return None, (f"Logpush job check skipped: the token lacks the permission group '{exc.group}' (Logpush has "
                      f"no read-only permission; HTTP 403 on {exc.call}); add it to check the job")


def declared_gateways(plan: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """gateway id -> the planned AiGateway resource."""
    return {r["props"]["aiGatewayId"]: r for r in plan["resources"] if r["type"] == GATEWAY}


def drift(plan: Mapping[str, Any], live: Sequence[Mapping[str, Any]],
          jobs: Sequence[Mapping[str, Any]] | None = None) -> StackDrift:
    """One stack's drift: its gateways against the live list of its account (and its Logpush job
    against the account's jobs, when ``jobs`` is given)."""
    account = plan["accountId"]
    result = StackDrift(plan["stack"], account)
    by_id = {g["id"]: g for g in live}
    # A gateway whose storeId is the stack's own Secrets Store (provider keys): the offline plan knows the
    # store only by its placeholder id (the plan engine's `<name>-id`), the account by its real one. The
    # store is the stack's, so a live store is not drift; a gateway with no store at all still is.
    own_stores = {f"{r['name']}-id" for r in plan["resources"] if r["type"] == SECRETS_STORE}
    for gid, resource in sorted(declared_gateways(plan).items()):
        current = by_id.get(gid)
        if current is None:
            result.missing.append((resource["name"], gid))
            continue
        result.matched += 1
        for path, declared, now in differences(resource["props"], live_props(current, account)):
            if path == "storeId" and declared in own_stores and isinstance(now, str) and now:
                continue
            result.drift.append(FieldDrift((GATEWAY, resource["name"]), gid, path, declared, now))
    if jobs is not None:
        for resource in (r for r in plan["resources"] if r["type"] == LOGPUSH_JOB):
            result.drift += _job_drift(resource, jobs)
    return result


# The Logpush job fields compared: the field table's, but the account (the job is looked up in it), the
# credential (destination_conf: never compared) and the ownership challenge (used only when the job is
# created or its destination changes; the API does not return it).
_JOB_FIELDS = {f.prop: f.api for f in fields.LOGPUSH_JOB
               if f.prop not in ("accountId", "ownershipChallenge") and not f.credential}


def _job_drift(resource: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]]) -> list[FieldDrift]:
    props = resource["props"]
    same = [j for j in jobs if j.get("name") == props.get("name")
            and j.get("dataset", AI_GATEWAY_LOGPUSH_DATASET) == props.get("dataset")]
    ref = (LOGPUSH_JOB, resource["name"])
    if not same:
        return [FieldDrift(ref, "-", "(job)", f"{props.get('name')} ({props.get('dataset')})", None)]
    job = same[0]
    out = []
    for prop, key in _JOB_FIELDS.items():
        declared, now = props.get(prop), job.get(key)
        if declared is None and now in (None, 0, ""):
            continue
        if declared != now:
            out.append(FieldDrift(ref, str(job.get("id")), prop, declared, now))
    return out


# --- what `aigw drift` says ------------------------------------------------------------------------

def shown(value: Any) -> str:
    """A declared or live value as drift and audit print it."""
    return "absent" if value is None else json.dumps(value) if not isinstance(value, str) else value


def to_json(result: StackDrift, requests: int, skipped: str | None) -> str:
    return json.dumps({
        "stack": result.stack, "account": result.account_id, "matched": result.matched, "requests": requests,
        "missing": [{"name": n, "id": g} for n, g in result.missing],
        "drift": [{"resource": {"type": d.resource[0], "name": d.resource[1]}, "id": d.live_id, "field": d.field,
                   "declared": d.declared, "live": d.live, "hint": d.hint(result.stack)} for d in result.drift],
        "skipped": [skipped] if skipped else [],
    }, indent=2)


def to_text(result: StackDrift, requests: int, stack: str) -> str:
    """``stack``: the stack as the command was given it (the `pulumi up -s` of a missing gateway)."""
    lines = [f"{result.stack} (account {result.account_id}): {result.matched} gateway(s) matched, "
             f"{len(result.missing)} missing, {len(result.drift)} drifted field(s); {requests} API request(s)"]
    for name, gid in result.missing:
        lines.append(f"  MISSING  {gid} (aigw:gateways.{name}): declared, not live; `pulumi up -s {stack}` "
                     "creates it")
    for d in result.drift:
        lines.append(f"  DRIFT    {d.live_id} {d.field}: declared {shown(d.declared)}, live {shown(d.live)}")
        lines.append(f"           {d.hint(result.stack)}")
    lines.append("drift: " + ("none" if result.clean else "found (exit 1)"))
    return "\n".join(lines)
