"""Waivers: the one way to relax a mandatory rule in production.

A waiver lives in the policy config under the rule it relaxes, as an entry of that rule's `waivers`
property (so the same file serves `aigw check --policy-config` and `pulumi preview --policy-pack-config`):

    "production-payloads-not-stored": {"waivers": [{
        "resources": ["prod-support-bot"], "owner": "@acme/platform",
        "reason": "vendor incident INC-123: payloads kept for the investigation",
        "expires": "2026-12-31"}]}

- `resources`: the names of the resources whose violations of this rule it waives (the resource
  name a finding shows; the stack name for a finding on the stack itself);
- `owner`: who answers for it; `reason`: why (SARIF carries it as the suppression's justification);
- `expires`: the last day it holds (YYYY-MM-DD, judged against the review date, AIGW_TODAY);
- `stacks` (optional): the stacks it holds in (default: every stack).

A waiver that is malformed, has expired, or runs longer than `maxWaiverDays` waives nothing and is
itself a mandatory finding of `relaxations-waived`, as is a mandatory rule disabled or lowered by
level in a production stack (a level relaxes the rule for every resource, for ever).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RULE_ID = "relaxations-waived"
FIELDS = ("resources", "owner", "reason", "expires", "stacks")
REQUIRED = ("resources", "owner", "reason", "expires")
DEFAULT_MAX_WAIVER_DAYS = 90

# The `waivers` property every other rule takes. Entries are not constrained by the schema: a malformed
# one is a finding naming it (the Pulumi CLI would otherwise refuse the whole config with a schema error
# and `aigw check` would not say which waiver, nor keep judging the others).
WAIVERS_SCHEMA = {
    "type": "array",
    "default": [],
    "description": "Waivers of this rule: objects with resources (names), owner, reason, expires "
                   "(YYYY-MM-DD) and optionally stacks. See docs/policy.md#waivers.",
}


@dataclass(frozen=True)
class Waiver:
    rule: str
    index: int
    resources: tuple[str, ...]
    owner: str
    reason: str
    expires: dt.date
    stacks: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        return f"{self.rule}.waivers[{self.index}]"

    def covers(self, stack: str, name: str) -> bool:
        return name in self.resources and (self.stacks is None or stack in self.stacks)

    def as_json(self) -> dict[str, Any]:
        return {"waiver": self.label, "owner": self.owner, "reason": self.reason,
                "expires": self.expires.isoformat(), "resources": list(self.resources)}


def _names(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    return None


def parse(rule: str, index: int, entry: Any, today: dt.date, max_days: int) -> tuple[Waiver | None, str | None]:
    """(the waiver when it holds today, else None; what is wrong with it, in one sentence naming it)."""
    label = f"{rule}.waivers[{index}]"
    if not isinstance(entry, Mapping):
        return None, (f"waiver {label}: {json.dumps(entry)}: a waiver is an object with "
                      f"{', '.join(REQUIRED)} (and optionally stacks)")
    problems = [f"{key}: unknown field (allowed: {', '.join(FIELDS)})" for key in entry if key not in FIELDS]
    missing = [key for key in REQUIRED if key not in entry]
    if missing:
        problems.append(f"{', '.join(missing)} missing (a waiver names {', '.join(REQUIRED)})")
    resources = _names(entry.get("resources"))
    if "resources" in entry and resources is None:
        problems.append(f"resources: {json.dumps(entry['resources'])}: not a non-empty list of resource names")
    stacks = _names(entry.get("stacks")) if "stacks" in entry else None
    if "stacks" in entry and stacks is None:
        problems.append(f"stacks: {json.dumps(entry['stacks'])}: not a non-empty list of stack names")
    for key in ("owner", "reason"):
        if key in entry and not (isinstance(entry[key], str) and entry[key].strip()):
            problems.append(f"{key}: {json.dumps(entry[key])}: not a non-empty string")
    expires: dt.date | None = None
    if "expires" in entry:
        try:
            expires = dt.date.fromisoformat(entry["expires"]) if isinstance(entry["expires"], str) else None
        except ValueError:
            expires = None
        if expires is None:
            problems.append(f"expires: {json.dumps(entry['expires'])}: not a date (YYYY-MM-DD)")
    who = f" (owner {entry['owner']})" if isinstance(entry.get("owner"), str) and entry["owner"].strip() else ""
    if problems:
        return None, f"waiver {label}{who} is malformed and waives nothing: {'; '.join(problems)}"
    assert expires is not None and resources is not None
    if expires < today:
        return None, (f"waiver {label}{who} expired on {expires.isoformat()} (today is {today.isoformat()}) and "
                      "waives nothing: fix the resources it names, or renew it with a new expiry and reason")
    if (expires - today).days > max_days:
        return None, (f"waiver {label}{who} expires on {expires.isoformat()}, more than maxWaiverDays "
                      f"({max_days:g}) after today ({today.isoformat()}), and waives nothing: a waiver is "
                      "temporary; set an earlier expiry")
    return Waiver(rule, index, resources, entry["owner"], entry["reason"], expires, stacks), None


def judge(settings: Mapping[str, tuple[str, Mapping[str, Any]]], today: dt.date,
          max_days: int = DEFAULT_MAX_WAIVER_DAYS) -> tuple[list[Waiver], list[str]]:
    """Every waiver of every rule: (those that hold today, the problems of the others)."""
    holding: list[Waiver] = []
    problems: list[str] = []
    for rule, (_, config) in settings.items():
        entries = config.get("waivers") or []
        if rule == RULE_ID or not isinstance(entries, Sequence) or isinstance(entries, str):
            continue
        for index, entry in enumerate(entries):
            waiver, wrong = parse(rule, index, entry, today, max_days)
            if wrong:
                problems.append(wrong)
            if waiver is not None:
                holding.append(waiver)
    return holding, problems


def waiver_for(waivers: Sequence[Waiver], rule: str, stack: str, name: str) -> Waiver | None:
    return next((w for w in waivers if w.rule == rule and w.covers(stack, name)), None)
