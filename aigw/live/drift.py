"""Declared (the offline plan) against live (one list of the account's gateways), field by field; with
``details`` (aigw/live/byok.py: each gateway's provider configs and routes), its provider keys and routes too."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigw_policy.rules import AI_GATEWAY_LOGPUSH_DATASET, GATEWAY, LOGPUSH_JOB
from aigw_policy.vocabulary import PROVIDER_CONFIG, ROUTE_TYPES, SECRETS_STORE

from .. import fields
from . import byok
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
    # The hint, when the field table's cannot say it (provider keys, routes): "{stack}" is the stack's name.
    note: str | None = None

    def hint(self, stack: str) -> str:
        if self.note is not None:
            return self.note.replace("{stack}", stack)
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
    # Provider keys and routes compared (None: not read, so not compared: aigw audit, aigw prove).
    provider_keys: int | None = None
    routes: int | None = None

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
          jobs: Sequence[Mapping[str, Any]] | None = None,
          details: Mapping[str, byok.GatewayDetails] | None = None) -> StackDrift:
    """One stack's drift: its gateways against the live list of its account (and its Logpush job
    against the account's jobs, when ``jobs`` is given; and the provider keys and routes of each gateway
    ``details`` holds, when it is given)."""
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
    if details is not None:
        result.provider_keys, result.routes = 0, 0
        for gid, resource in sorted(declared_gateways(plan).items()):
            if gid in details:
                keys, routes, found = _byok_drift(plan, resource, details[gid])
                result.provider_keys += keys
                result.routes += routes
                result.drift += found
    if jobs is not None:
        for resource in (r for r in plan["resources"] if r["type"] == LOGPUSH_JOB):
            result.drift += _job_drift(resource, jobs)
    return result


def details_wanted(plan: Mapping[str, Any], live: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """(the declared gateways that are live, those of them that declare provider keys or routes): whose
    provider configs and routes to read, and which first."""
    live_ids = {g.get("id") for g in live}
    declared = [gid for gid in sorted(declared_gateways(plan)) if gid in live_ids]
    with_byok = {r["props"].get("gatewayId") for r in plan["resources"]
                 if r["type"] == PROVIDER_CONFIG or r["type"] in ROUTE_TYPES}
    return declared, [gid for gid in declared if gid in with_byok]


def _byok_drift(plan: Mapping[str, Any], gateway: Mapping[str, Any], live: byok.GatewayDetails
                ) -> tuple[int, int, list[FieldDrift]]:
    """(provider keys compared, routes compared, the drift) of one live gateway."""
    from .. import wording

    gid, name = gateway["props"]["aiGatewayId"], gateway["name"]
    where = f"aigw:gateways.{name}"
    # Re-importing the gateway writes its whole entry again, keys and routes included (the stack's name: {stack}).
    adopt = f"`aigw import --account {plan['accountId']} --stack {{stack}} --gateway {gid} --force`"
    out: list[FieldDrift] = []
    # Provider keys: by provider and alias (one config each). The plan does not say an entry's index in the
    # stack file (its resources are sorted), so the entry is named by its provider and alias.
    configs = [r for r in plan["resources"] if r["type"] == PROVIDER_CONFIG and r["props"].get("gatewayId") == gid]
    live_configs = {byok.config_key(c): c for c in live.configs}
    declared_keys = {byok.config_key(r["props"]): r for r in configs}
    for pair, resource in sorted(declared_keys.items()):
        label = f"providerKeys ({pair[0]} alias {pair[1]})"
        entry = f"the {pair[0]} alias {pair[1]} entry of {where}.providerKeys"
        ref = (PROVIDER_CONFIG, resource["name"])
        now = live_configs.get(pair)
        if now is None:
            out.append(FieldDrift(ref, gid, label, wording.provider_key(resource["props"]), None,
                                  f"declared ({entry}), not live: `pulumi up -s {{stack}}` creates its provider "
                                  "config"))
            continue
        declared_fields, live_fields = byok.config_fields(resource["props"]), byok.config_fields(now)
        for prop, value in declared_fields.items():
            if live_fields[prop] != value:
                key = {"defaultConfig": "default", "rateLimit": "rateLimit.limit",
                       "rateLimitPeriod": "rateLimit.period"}[prop]
                out.append(FieldDrift(ref, gid, f"{label}.{prop}", value, live_fields[prop],
                                      "re-apply the declaration with `pulumi up -s {stack}` (it replaces the provider "
                                      f"config), or adopt the live value: set {key} of {entry} in "
                                      "Pulumi.{stack}.yaml"))
    for pair, now in sorted(live_configs.items()):
        if pair not in declared_keys:
            words = wording.provider_key({**byok.config_fields(now), "providerSlug": pair[0], "alias": pair[1]})
            out.append(FieldDrift((PROVIDER_CONFIG, f"{name}-{pair[0]}-{pair[1]}"), gid,
                                  f"providerKeys ({pair[0]} alias {pair[1]})", None, words,
                                  f"live, not declared: declare it under {where}.providerKeys ({adopt} writes it), "
                                  "or delete it in the dashboard"))
    # Routes: by name; elements compared by id in one shape, told in the plan's route words.
    routes = {r["props"].get("name"): r for r in plan["resources"]
              if r["type"] in ROUTE_TYPES and r["props"].get("gatewayId") == gid}
    live_routes = {r.get("name"): r for r in live.routes}
    for route_name, resource in sorted(routes.items(), key=lambda kv: str(kv[0])):
        ref = (resource["type"], resource["name"])
        now = live_routes.get(route_name)
        label = f"routes.{route_name}"
        if now is None:
            out.append(FieldDrift(ref, gid, label, wording.route_summary(resource["props"]), None,
                                  f"declared ({where}.{label}), not live: `pulumi up -s {{stack}}` creates it"))
            continue
        declared_elements = byok.canonical_route(resource["props"].get("elements"))
        live_elements = byok.canonical_route(now.get("elements"))
        if declared_elements == live_elements:
            continue
        hint = (f"re-apply the declaration with `pulumi up -s {{stack}}`, or adopt the live route: set "
                f"{where}.{label}.elements in Pulumi.{{stack}}.yaml")
        said = wording.route(resource["props"])
        seen = wording.route(byok.in_plan_shape(now))
        worded = [k for k in dict.fromkeys([*said, *seen]) if said.get(k) != seen.get(k)]
        for key in worded:
            out.append(FieldDrift(ref, gid, f"{label}: {key}", said.get(key), seen.get(key), hint))
        if not worded:  # the same words, other elements (an element id, say)
            out.append(FieldDrift(ref, gid, f"{label}.elements", list(declared_elements.values()),
                                  list(live_elements.values()), hint))
    for route_name, now in sorted(live_routes.items(), key=lambda kv: str(kv[0])):
        if route_name not in routes:
            out.append(FieldDrift((ROUTE_TYPES[0], f"{name}-{route_name}"), gid, f"routes.{route_name}", None,
                                  wording.route_summary(byok.in_plan_shape(now)),
                                  f"live, not declared: declare it under {where}.routes ({adopt} writes it), or "
                                  "delete it in the dashboard"))
    return len(declared_keys), len(routes), out


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


def to_json(result: StackDrift, requests: int, skipped: str | Sequence[str] | None) -> str:
    return json.dumps({
        "stack": result.stack, "account": result.account_id, "matched": result.matched, "requests": requests,
        "missing": [{"name": n, "id": g} for n, g in result.missing],
        "drift": [{"resource": {"type": d.resource[0], "name": d.resource[1]}, "id": d.live_id, "field": d.field,
                   "declared": d.declared, "live": d.live, "hint": d.hint(result.stack)} for d in result.drift],
        "skipped": [skipped] if isinstance(skipped, str) else list(skipped or []),
        **({"providerKeys": result.provider_keys, "routes": result.routes} if result.routes is not None else {}),
    }, indent=2)


def to_text(result: StackDrift, requests: int, stack: str) -> str:
    """``stack``: the stack as the command was given it (the `pulumi up -s` of a missing gateway)."""
    lines = [f"{result.stack} (account {result.account_id}): {result.matched} gateway(s) matched, "
             f"{len(result.missing)} missing, {len(result.drift)} drifted field(s)"
             + (f", {result.provider_keys} provider key(s) and {result.routes} route(s) compared"
                if result.routes is not None else "")
             + f"; {requests} API request(s)"]
    for name, gid in result.missing:
        lines.append(f"  MISSING  {gid} (aigw:gateways.{name}): declared, not live; `pulumi up -s {stack}` "
                     "creates it")
    for d in result.drift:
        lines.append(f"  DRIFT    {d.live_id} {d.field}: declared {shown(d.declared)}, live {shown(d.live)}")
        lines.append(f"           {d.hint(result.stack)}")
    lines.append("drift: " + ("none" if result.clean else "found (exit 1)"))
    return "\n".join(lines)
