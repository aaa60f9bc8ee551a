"""The semantic diff of two plans of one stack: what a pull request changes, in settings words.

Resources are matched by (type, logical name). Component resources (aigw:index:*) are left out:
they change exactly when the Cloudflare resources under them do. A changed property that the
provider cannot update in place replaces the resource, and the consequence is said loudly
(a replaced or deleted gateway loses its stored logs). So is a gateway whose authentication is
turned off, or that is created or replaced without it: Cloudflare refuses both with HTTP 400 since
2026-11-03.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aigw_policy import Finding
from aigw_policy.rules import ACCOUNT_TOKEN, GATEWAY, LOGPUSH_JOB, WORKERS_SCRIPT

from .words import R2_BUCKET, R2_LIFECYCLE, SUBDOMAIN, flat_words, kind, settings

# Properties the provider cannot change in place. AiGateway id and account: the reference
# (cloudflare-ai-gateway.md: id immutable, TF RequiresReplace). The others follow the Terraform
# provider's RequiresReplace attributes that pulumi-cloudflare is bridged from (not each checked
# here). Options.replaceOnChanges from the plan (the program's own, e.g. a token's validity) add to these.
REPLACED_BY: dict[str, tuple[str, ...]] = {
    GATEWAY: ("accountId", "aiGatewayId"),
    WORKERS_SCRIPT: ("accountId", "scriptName"),
    SUBDOMAIN: ("accountId", "scriptName"),
    R2_BUCKET: ("accountId", "name", "jurisdiction", "location"),
    R2_LIFECYCLE: ("accountId", "bucketName"),
    LOGPUSH_JOB: ("accountId", "dataset"),
    ACCOUNT_TOKEN: ("accountId",),
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

    @property
    def empty(self) -> bool:
        return not (self.changes or self.introduced or self.fixed or self.notes)

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
            protected = bool((before.get("options") or {}).get("protect"))
            changes.append(Change("delete", type_, name, [(k, v, None) for k, v in words.items()],
                                  warning=_warning("delete", type_, before["props"], {}, protected)))
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
        if not lines and not changed_props:
            continue
        replace_on = set(REPLACED_BY.get(type_, ())) | set((after.get("options") or {}).get("replaceOnChanges", []))
        reasons = [k for k in changed_props if k in replace_on]
        action = "replace" if reasons else "update"
        protected = bool((before.get("options") or {}).get("protect"))
        warning = _warning(action, type_, p_old, p_new, protected)
        changes.append(Change(action, type_, name, lines, reasons, warning,
                              headline=warning is not None and action == "update"))
    return changes


def _raw_lines(prop: str, old: Any, new: Any) -> list[tuple[str, str | None, str | None]]:
    before, after = flat_words(old, prop), flat_words(new, prop)
    return [(k, before.get(k), after.get(k)) for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]


def finding_changes(base: Sequence[Finding], head: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(introduced, fixed): findings by (policy, resource) present in one plan and not the other."""
    def key(f: Finding) -> tuple[str, tuple[str, str]]:
        return (f.policy, f.resource)

    before, after = {key(f) for f in base}, {key(f) for f in head}
    return [f for f in head if key(f) not in before], [f for f in base if key(f) not in after]
