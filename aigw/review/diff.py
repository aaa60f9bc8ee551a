"""The semantic diff of two plans of one stack: what a pull request changes, in settings words.

Resources are matched by (type, logical name). Component resources (aigw:index:*) are left out:
they change exactly when the Cloudflare resources under them do. A changed property that the
provider cannot update in place replaces the resource, and the consequence is said loudly
(a replaced or deleted gateway loses its stored logs). So is a gateway whose authentication is
turned off, or that is created or replaced without it: Cloudflare refuses both with HTTP 400 since
2026-11-03.

Some changes weaken production without changing a single property, and are said as loudly:
deletion protection lifted from a resource (`protect`), an edge Worker or its workers.dev URL
removed (clients call that URL), and, for the stack as a whole (`stack_warnings`), its production
status or environment changed, a non-production stack on a production stack's account, and a
token that has expired or expires within 14 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigw_policy import Finding
from aigw_policy.engine import is_production
from aigw_policy.rules import (
    ACCOUNT_TOKEN,
    API_TOKEN,
    DEFAULT_EXPIRY_WARNING_DAYS,
    EDGE_WORKER,
    GATEWAY,
    LOGPUSH_JOB,
    RULES,
    WORKERS_SCRIPT,
    token_expiry_words,
)

from .. import fields
from .words import (
    AI_GATEWAY_DYNAMIC_ROUTING,
    DYNAMIC_ROUTE,
    PROVIDER_CONFIG,
    R2_BUCKET,
    R2_LIFECYCLE,
    SECRETS_STORE,
    SECRETS_STORE_SECRET,
    SUBDOMAIN,
    flat_words,
    kind,
    settings,
)

# Properties the provider cannot change in place. AiGateway id and account: the reference
# (cloudflare-ai-gateway.md: id immutable, TF RequiresReplace). The others follow the Terraform
# provider's RequiresReplace attributes that pulumi-cloudflare is bridged from (not each checked
# here). Options.replaceOnChanges from the plan (the program's own, e.g. a token's validity) add to these.
REPLACED_BY: dict[str, tuple[str, ...]] = {
    # The resources with a field table (aigw/fields.py) take it from there.
    GATEWAY: fields.replaced_by(fields.AI_GATEWAY),
    LOGPUSH_JOB: fields.replaced_by(fields.LOGPUSH_JOB),
    WORKERS_SCRIPT: fields.replaced_by(fields.WORKERS_SCRIPT),
    SUBDOMAIN: fields.replaced_by(fields.WORKERS_SCRIPT_SUBDOMAIN),
    R2_BUCKET: ("accountId", "name", "jurisdiction", "location"),
    R2_LIFECYCLE: ("accountId", "bucketName"),
    ACCOUNT_TOKEN: fields.replaced_by(fields.ACCOUNT_TOKEN),
    SECRETS_STORE: fields.replaced_by(fields.SECRETS_STORE),
    SECRETS_STORE_SECRET: fields.replaced_by(fields.SECRETS_STORE_SECRET),
    PROVIDER_CONFIG: fields.replaced_by(fields.PROVIDER_CONFIG),
    AI_GATEWAY_DYNAMIC_ROUTING: fields.replaced_by(fields.AI_GATEWAY_DYNAMIC_ROUTING),
    DYNAMIC_ROUTE: fields.replaced_by(fields.DYNAMIC_ROUTE),
}
CHANGED = "changed"  # the words for a secret whose value changed (never the value)
# Why a resource is replaced, in settings words.
REASON_WORDS = {"aiGatewayId": "its id", "accountId": "its account", "scriptName": "its script name",
                "name": "its name", "bucketName": "its bucket", "dataset": "its dataset",
                "notBefore": "its validity start (rotation)", "expiresOn": "its expiry"}


@dataclass
class Change:
    action: str  # create | update | replace | delete
    type: str
    name: str
    settings: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (setting, old, new)
    reasons: list[str] = field(default_factory=list)  # props that force a replacement
    warning: str | None = None  # the consequence a reviewer must not miss
    headline: bool = False  # the warning goes in the comment's summary (besides replacements and deletions)

    @property
    def loud(self) -> bool:
        return bool(self.warning) and (self.headline or self.action in ("replace", "delete"))

    @property
    def title(self) -> str:
        return f"{kind(self.type)} {self.name}"

    def as_json(self) -> dict[str, Any]:
        return {"action": self.action, "type": self.type, "name": self.name,
                "settings": [{"setting": s, "old": o, "new": n} for s, o, n in self.settings],
                "replacedBecause": self.reasons, "warning": self.warning}


@dataclass
class StackDiff:
    stack: str
    environment: str
    production: bool
    changes: list[Change] = field(default_factory=list)
    introduced: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the stack's own (stack_warnings), first in the summary
    # Findings of the head plan under the base's policy config that the head's config disables or
    # lowers: (the finding as the base's config judges it, the level the head's config gives its rule).
    hidden: list[tuple[Finding, str]] = field(default_factory=list)
    # The head's stack file could not be planned: why (file:line and reason), and the file. Not diffed.
    error: list[str] = field(default_factory=list)
    file: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.changes or self.introduced or self.fixed or self.notes or self.warnings or self.hidden
                    or self.error)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


def _custom(plan: Mapping[str, Any] | None) -> dict[tuple[str, str], Mapping[str, Any]]:
    if not plan:
        return {}
    return {(r["type"], r["name"]): r for r in plan.get("resources", []) if not r["type"].startswith("aigw:")}


def _gateway_id(props: Mapping[str, Any]) -> str:
    return str(props.get("aiGatewayId") or "?")


# Authentication is mandatory for new gateways (AI Gateway changelog 2026-11-03, "New AI Gateways require
# authentication"): a create with authentication false, or turning it off, gets HTTP 400; gateways already
# off may stay off; turning it on is allowed and final.
def _authenticated(props: Mapping[str, Any]) -> bool:
    return props.get("authentication") is True


def _authentication_warning(action: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    if action == "create" and not _authenticated(new):
        return (f"Creates gateway {_gateway_id(new)} without authentication: Cloudflare refuses to create one "
                "(HTTP 400 since 2026-11-03). This works only for a gateway that exists with authentication "
                "already off and is imported first (`pulumi import`, see `aigw import`).")
    if action == "update" and _authenticated(old) and not _authenticated(new):
        return (f"Turns authentication off on gateway {_gateway_id(new)}: Cloudflare refuses this with HTTP 400 "
                "since 2026-11-03 (AI Gateway changelog, \"New AI Gateways require authentication\"), so "
                "`pulumi up` fails. Without authentication anyone who knows the account id and gateway id can "
                "send traffic through it.")
    if action == "update" and not _authenticated(old) and _authenticated(new):
        return (f"Turns authentication on for gateway {_gateway_id(new)}: every client must send a Cloudflare API "
                "token with AI Gateway Run (cf-aig-authorization) from then on, and Cloudflare does not let it be "
                "turned off again (changelog 2026-11-03).")
    return None


def _warning(action: str, type_: str, old: Mapping[str, Any], new: Mapping[str, Any], protected: bool) -> str | None:
    guard = (" It is protected: `pulumi up` refuses until protect is lifted (aigw:protect or the stack's "
             "default).") if protected else ""
    if type_ == GATEWAY and action in ("create", "update"):
        return _authentication_warning(action, old, new)
    if type_ == GATEWAY and action == "replace":
        refused = (" The new gateway would be created without authentication, which Cloudflare refuses (HTTP 400 "
                   "since 2026-11-03).") if not _authenticated(new) else ""
        return (f"Replaces gateway {_gateway_id(old)} with {_gateway_id(new)}: the old gateway is deleted with all "
                f"its stored logs, and clients must move to the new URL.{guard}{refused}")
    if type_ == GATEWAY and action == "delete":
        return f"Deletes gateway {_gateway_id(old)} and all its stored logs.{guard}"
    if type_ == R2_BUCKET and action in ("replace", "delete"):
        return f"Deletes R2 bucket {old.get('name')} and the exported logs in it.{guard}"
    if type_ == ACCOUNT_TOKEN and action == "replace":
        return "Mints a new token value: the old token stops working once the new one is in place."
    if type_ == WORKERS_SCRIPT and action == "replace":
        return f"Replaces Worker {old.get('scriptName')} with {new.get('scriptName')}: its URL changes."
    return None


def _protected(resource: Mapping[str, Any]) -> bool:
    return bool((resource.get("options") or {}).get("protect"))


# What a resource takes with it when deleted: why lifting its protection matters.
_LOSES = {GATEWAY: " and all its stored logs", R2_BUCKET: " and the exported logs in it"}


def _subject(type_: str, name: str, props: Mapping[str, Any]) -> str:
    if type_ == GATEWAY:
        return f"gateway {_gateway_id(props)}"
    if type_ == R2_BUCKET:
        return f"R2 bucket {props.get('name') or name}"
    return f"{kind(type_)} {name}"


# Pulumi's protect option: "it will be an error to do a Pulumi deployment which tries to delete a protected
# resource"; setting protect: false and running `pulumi up` is how it is unprotected (Pulumi docs, "Resource
# option: protect"). So lifting it is the step before a deletion, and a reviewer must see it.
def _protection_warning(type_: str, name: str, props: Mapping[str, Any]) -> str:
    return (f"Removes deletion protection from {_subject(type_, name, props)}: once this is deployed, `pulumi up` "
            f"no longer refuses to delete or replace it, so a later change can delete it{_LOSES.get(type_, '')} "
            "without anyone lifting protection on purpose (the `protect` setting; its default is the stack's "
            "production status).")


def edge_urls(plan: Mapping[str, Any] | None) -> dict[str, tuple[str, str, str | None]]:
    """The edge Workers of a plan, by logical name: (script name, gateway it fronts, the URL clients call;
    None when its workers.dev route is off or absent)."""
    if not plan:
        return {}
    gateways = (plan.get("outputs") or {}).get("gateways") or {}
    # A script whose workers.dev route is switched off (or gone) answers at no URL.
    routes = {str(r["props"].get("scriptName")): r["props"].get("enabled") is not False
              for r in plan.get("resources", []) if r["type"] == SUBDOMAIN}
    out: dict[str, tuple[str, str, str | None]] = {}
    for r in plan.get("resources", []):
        if r["type"] != EDGE_WORKER:
            continue
        script = str(r["props"].get("scriptName") or r["name"])
        exported = (gateways.get(r["name"]) or {}).get("edgeWorker") or {}
        url = exported.get("url") if exported.get("scriptName") in (None, script) and routes.get(script) else None
        out[r["name"]] = (script, str(r["props"].get("gateway") or r["name"]), url)
    return out


def edge_warnings(base: Mapping[str, Any] | None, head: Mapping[str, Any] | None) -> dict[str, str]:
    """Base script name -> the warning for an edge Worker of ``base`` that ``head`` removes, or whose URL
    it removes or moves."""
    before, after = edge_urls(base), edge_urls(head)
    out: dict[str, str] = {}
    for name, (script, gateway, url) in sorted(before.items()):
        where = f" at {url}" if url else ""
        if name not in after:
            out[script] = (f"Deletes edge Worker {script}, the way in to gateway {gateway}: clients that call "
                           f"it{where} get errors, and the gateway loses what the Worker enforced (payloads "
                           "off, client headers stripped).")
        elif url and after[name][2] != url:
            new_url = after[name][2]
            out[script] = (f"Moves edge Worker {script} (gateway {gateway}) from {url} to {new_url}: clients "
                           "calling the old URL get errors." if new_url else
                           f"Removes the URL of edge Worker {script} (gateway {gateway}): {url} stops answering "
                           "(its workers.dev route is off or gone), so clients calling it get errors.")
    return out


def diff_plans(base: Mapping[str, Any] | None, head: Mapping[str, Any] | None,
               secret_changes: Mapping[tuple[str, str], Sequence[str]] | None = None) -> list[Change]:
    """Changes from ``base`` to ``head`` (plans of one stack; None for a stack that does not exist).

    ``secret_changes``: (type, name) -> settings whose secret value changed (from the stack files'
    ciphertext; a plan never holds secret values), shown as "changed".
    """
    old, new = _custom(base), _custom(head)
    secret_changes = secret_changes or {}
    changes: list[Change] = []
    for ref in sorted(set(old) | set(new)):
        type_, name = ref
        before, after = old.get(ref), new.get(ref)
        if before is None:
            assert after is not None
            words = settings(type_, after["props"])
            warning = _warning("create", type_, {}, after["props"], False)
            changes.append(Change("create", type_, name, [(k, None, v) for k, v in words.items()], warning=warning,
                                  headline=warning is not None))
            continue
        if after is None:
            words = settings(type_, before["props"])
            changes.append(Change("delete", type_, name, [(k, v, None) for k, v in words.items()],
                                  warning=_warning("delete", type_, before["props"], {}, _protected(before))))
            continue
        p_old, p_new = before["props"], after["props"]
        changed_props = sorted(k for k in set(p_old) | set(p_new) if p_old.get(k) != p_new.get(k))
        w_old, w_new = settings(type_, p_old), settings(type_, p_new)
        lines = [(k, w_old.get(k), w_new.get(k)) for k in list(dict.fromkeys([*w_old, *w_new]))
                 if w_old.get(k) != w_new.get(k)]
        # A changed prop the settings words do not show (a spend-limit rule's model filter, a DLP
        # policy's profile ids) is listed by its own path, so no update reads empty.
        for prop in changed_props:
            without = {**p_new, prop: p_old[prop]} if prop in p_old else {k: v for k, v in p_new.items() if k != prop}
            if settings(type_, without) == w_new:
                lines += _raw_lines(prop, p_old.get(prop), p_new.get(prop))
        for setting in secret_changes.get(ref, ()):
            if not any(s == setting for s, _, _ in lines):
                lines.append((setting, CHANGED, CHANGED))
        # Protection is a resource option, not a prop: a change to it alone is still a change.
        unprotected = _protected(before) and not _protected(after)
        if _protected(before) != _protected(after):
            lines.append(("deletion protection", "on" if _protected(before) else "off",
                          "on" if _protected(after) else "off"))
        if not lines and not changed_props:
            continue
        replace_on = set(REPLACED_BY.get(type_, ())) | set((after.get("options") or {}).get("replaceOnChanges", []))
        reasons = [k for k in changed_props if k in replace_on]
        action = "replace" if reasons else "update"
        warning = _warning(action, type_, p_old, p_new, _protected(before))
        loud = _protection_warning(type_, name, p_old) if unprotected else None
        changes.append(Change(action, type_, name, lines, reasons, _join(warning, loud),
                              headline=(warning is not None and action == "update") or loud is not None))
    _attach_edge_warnings(changes, old, edge_warnings(base, head))
    return changes


def _attach_edge_warnings(changes: list[Change], old: Mapping[tuple[str, str], Mapping[str, Any]],
                          edges: Mapping[str, str]) -> None:
    """Each edge Worker warning on the change that causes it: the Worker's script, else its workers.dev
    route. One that no change causes (the account's workers.dev subdomain renamed) is the stack's own."""
    for script, words in edges.items():
        for type_ in (WORKERS_SCRIPT, SUBDOMAIN):
            found = [c for c in changes if c.type == type_ and c.action != "create"
                     and str(old[(c.type, c.name)]["props"].get("scriptName")) == script]
            if found:
                c = found[0]
                c.warning = _join(c.warning, words)
                c.headline = True
                break


def _join(*warnings: str | None) -> str | None:
    return " ".join(w for w in warnings if w) or None


def _raw_lines(prop: str, old: Any, new: Any) -> list[tuple[str, str | None, str | None]]:
    before, after = flat_words(old, prop), flat_words(new, prop)
    return [(k, before.get(k), after.get(k)) for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]


def finding_changes(base: Sequence[Finding], head: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(introduced, fixed): findings by (policy, resource) present in one plan and not the other."""
    def key(f: Finding) -> tuple[str, tuple[str, str]]:
        return (f.policy, f.resource)

    before, after = {key(f) for f in base}, {key(f) for f in head}
    return [f for f in head if key(f) not in before], [f for f in base if key(f) not in after]


def hidden_findings(under_base: Sequence[Finding], head: Sequence[Finding], head_levels: Mapping[str, str]
                    ) -> list[tuple[Finding, str]]:
    """Findings the head's policy config hides: present when the head plan is judged with the base's
    config, and absent (rule disabled) or at a lower level when it is judged with the head's."""
    from ..check.config import LEVEL_RANK

    now = {(f.policy, f.resource): f.level for f in head}
    out = []
    for f in under_base:
        level = now.get((f.policy, f.resource))
        if level is None or LEVEL_RANK[level] < LEVEL_RANK[f.level]:
            out.append((f, level or head_levels.get(f.policy, "disabled")))
    return out


@dataclass(frozen=True)
class StackAccount:
    """Where one stack of the project lives, for the warnings that span stacks."""

    stack: str
    environment: str
    production: bool
    account_id: str | None


def _production_words(production: bool) -> str:
    return "production" if production else "non-production"


def status_warnings(stack: str, base: Mapping[str, Any] | None, head: Mapping[str, Any] | None,
                    changes: Sequence[Change]) -> list[str]:
    """What the change does to the stack as a whole: its production status or environment, and an edge
    Worker URL that no resource change accounts for. These make a stack part of the diff."""
    out: list[str] = []
    if base and head:
        env_old, env_new = str(base.get("environment")), str(head.get("environment"))
        was, now = bool(base.get("production")), bool(head.get("production"))
        moved = (f"its environment changes from {env_old} to {env_new} (aigw:environment)" if env_old != env_new
                 else None)
        if was and not now:
            why = (f"{moved}, which aigw:productionEnvironments in Pulumi.yaml does not list" if moved else
                   f"aigw:productionEnvironments in Pulumi.yaml no longer lists its environment {env_new}")
            out.append(f"Stack {stack} is no longer production: {why}. The production rules (payloads not stored, "
                       "authentication, rate limits, no payload export) stop applying to it, and its gateways "
                       "and log bucket lose deletion protection by default.")
        elif now and not was:
            why = (f"{moved}, which aigw:productionEnvironments in Pulumi.yaml lists" if moved else
                   f"aigw:productionEnvironments in Pulumi.yaml now lists its environment {env_new}")
            out.append(f"Stack {stack} becomes production: {why}. The production rules apply to it from now on, "
                       "and its gateways and log bucket get deletion protection by default.")
        elif moved:
            out.append(f"Stack {stack} ({_production_words(now)}): {moved}. Gateway ids default to "
                       "<environment>-<name>, so a gateway without its own id is replaced (its stored logs "
                       "deleted), and policy settings that name environments judge the stack differently.")
    said = " ".join(c.warning or "" for c in changes)
    out += [w for w in edge_warnings(base, head).values() if w not in said]
    return out


def _listed(environments: Any) -> str:
    return "[" + ", ".join(str(e) for e in environments or []) + "]"


def policy_status_warnings(stack: str, head: Mapping[str, Any] | None, base_settings: Mapping[str, Any],
                           head_settings: Mapping[str, Any], policy_file: Any = None) -> list[str]:
    """The rules for which the stack's production status changes because the policy config changes their
    productionEnvironments (the head plan's environment judged by the base's config and by the head's).

    A rule judges a stack as production when its productionEnvironments lists the stack's environment,
    or the stack is production by aigw:productionEnvironments in Pulumi.yaml (aigw_policy.engine
    .is_production); so narrowing a rule's list lifts what it demands of production without a word in
    the stack files or in Pulumi.yaml."""
    if not head or base_settings is head_settings:
        return []
    env = str(head.get("environment"))
    own = [env] if head.get("production") else []
    lost: list[str] = []
    gained: list[str] = []
    for rule in RULES:
        if rule.id not in base_settings or rule.id not in head_settings:
            continue
        old, new = base_settings[rule.id][1], head_settings[rule.id][1]
        was, now = is_production(env, old, own), is_production(env, new, own)
        if was != now:
            words = (f"{rule.id} (productionEnvironments {_listed(old.get('productionEnvironments'))} -> "
                     f"{_listed(new.get('productionEnvironments'))})")
            (lost if was else gained).append(words)
    where = f" ({policy_file.as_posix() if hasattr(policy_file, 'as_posix') else policy_file})" if policy_file else ""
    out = []
    if lost:
        out.append(f"Stack {stack} is no longer production for {len(lost)} rule(s) of the policy config: "
                   f"{'; '.join(lost)}. The head's policy config{where} does not list its environment {env} for "
                   "them, and aigw:productionEnvironments in Pulumi.yaml does not make it production either, so "
                   "these rules judge it as non-production from now on: what they demand of production stacks "
                   "stops applying to it.")
    if gained:
        out.append(f"Stack {stack} becomes production for {len(gained)} rule(s) of the policy config: "
                   f"{'; '.join(gained)}. The head's policy config{where} lists its environment {env} for them, "
                   "so these rules judge it as production from now on.")
    return out


def standing_warnings(head: Mapping[str, Any] | None, accounts: Sequence[StackAccount], today: dt.date,
                      expiry_days: int = DEFAULT_EXPIRY_WARNING_DAYS) -> list[str]:
    """What holds of the stack after the change, whoever caused it: a production stack and a
    non-production one on the same account, a token that has expired or expires soon. Said for a
    stack that is in the diff; they do not put an unchanged stack in it."""
    if not head:
        return []
    out: list[str] = []
    me, account, production = str(head.get("stack")), head.get("accountId"), bool(head.get("production"))
    sharing = sorted(a.stack for a in accounts
                     if a.stack != me and account and a.account_id == account and a.production != production)
    if sharing and production:
        out.append(f"Production stack {me} is declared on account {account}, which non-production stack(s) "
                   f"{', '.join(sharing)} also use: an AI Gateway Run token or Workers AI binding they declare "
                   "reaches this account's gateways without the edge Workers, and their settings (payloads "
                   "stored, team Workers) are not judged as production.")
    elif sharing:
        out.append(f"Non-production stack {me} is declared on account {account}, the account of production "
                   f"stack(s) {', '.join(sharing)}: an AI Gateway Run token or Workers AI binding of this stack "
                   "reaches the production gateways without their edge Workers, and this stack's settings "
                   "(payloads stored, team Workers) are not judged as production. Give it its own account.")
    for r in head.get("resources", []):
        if r["type"] == API_TOKEN:
            words = token_expiry_words(r["name"], r["props"].get("purpose"), r["props"].get("expiresOn"), today,
                                       expiry_days)
            if words:
                out.append(words[0].upper() + words[1:])
    return out
