"""How a rule runs: its context, its configuration, its findings. Shared by the pack and `aigw check`.

A rule is either a resource rule (one resource at a time: the pack's Analyze) or a stack rule
(every resource of the stack at once: the pack's AnalyzeStack). Both report violations as
(resource, message). A rule that needs a value unknown during preview fails closed in
production: that is a violation naming the property, at the rule's own level (the Pulumi SDK
would turn it into an advisory "can't run policy during preview" note instead).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .values import Resource, UnknownValue
from .vocabulary import DEFAULT_PRODUCTION_ENVIRONMENTS, STACK_TYPE
from .waivers import DEFAULT_MAX_WAIVER_DAYS, WAIVERS_SCHEMA, Waiver, judge, waiver_for
from .waivers import RULE_ID as WAIVERS_RULE

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
SEVERITIES = ("low", "medium", "high", "critical")

# Every rule takes `productionEnvironments`: whether a stack is production decides what its
# rules demand, and a rule that fails closed does so in production only.
PRODUCTION_ENVIRONMENTS_SCHEMA = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "default": list(DEFAULT_PRODUCTION_ENVIRONMENTS),
    "description": "Environments (aigw:environment) that are production. Stacks whose own "
                   "aigw:productionEnvironments lists their environment are production too.",
}


# The date rules judge token expiry by: AIGW_TODAY (YYYY-MM-DD) when set, else today in UTC. `aigw`
# and the CrossGuard pack read the same variable, so a review "as of" a day (and every test) gives
# the same findings in both.
TODAY_VARIABLE = "AIGW_TODAY"


def review_date(environ: Mapping[str, str] | None = None) -> dt.date:
    """Raises ValueError naming the variable when AIGW_TODAY is set but not a date."""
    import os

    value = (os.environ if environ is None else environ).get(TODAY_VARIABLE)
    if not value:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{TODAY_VARIABLE}={value!r}: not a date; allowed: YYYY-MM-DD (or unset for today)") from None


@dataclass(frozen=True)
class Context:
    """What a rule knows besides the resources: the stack and its configuration."""

    stack: str
    environment: str
    production: bool
    account_id: str | None
    config: Mapping[str, Any] = field(default_factory=dict)
    today: dt.date = field(default_factory=review_date)
    # Judging live settings (aigw audit), where an unknown value is one the API did not return.
    live: bool = False
    # Every rule's (level, properties) as configured: what relaxations-waived judges (levels, waivers).
    settings: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    resource: Resource | None
    message: str


Check = Callable[..., Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    """One policy. ``check(resource, ctx)`` for resource rules, ``check(resources, ctx)`` for stack rules."""

    id: str
    description: str
    severity: str
    level: str
    scope: str  # "resource" | "stack"
    check: Check
    remediation: str
    types: tuple[str, ...] = ()  # resource rules: the types inspected
    production_only: bool = False
    properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def schema(self) -> dict[str, Any]:
        """The JSON schema of this rule's config properties (enforcementLevel is the engine's). Every rule but
        relaxations-waived itself takes `waivers` (waivers.py)."""
        waivers = {} if self.id == WAIVERS_RULE else {"waivers": dict(WAIVERS_SCHEMA)}
        return {"productionEnvironments": dict(PRODUCTION_ENVIRONMENTS_SCHEMA), **waivers, **{
            name: dict(prop) for name, prop in self.properties.items()}}

    def defaults(self) -> dict[str, Any]:
        return {name: prop["default"] for name, prop in self.schema().items() if "default" in prop}


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str
    resource: tuple[str, str]
    message: str
    # The waiver that holds for this finding (then it does not count: reported as waived, never hidden).
    waiver: Waiver | None = None

    def as_json(self) -> dict[str, Any]:
        out = {"policy": self.policy, "level": self.level,
               "resource": {"type": self.resource[0], "name": self.resource[1]}, "message": self.message}
        if self.waiver is not None:
            out["waived"] = self.waiver.as_json()
        return out


def is_production(environment: str, config: Mapping[str, Any], stack_production: Sequence[str] = ()) -> bool:
    listed = config.get("productionEnvironments", DEFAULT_PRODUCTION_ENVIRONMENTS)
    return environment in listed or environment in stack_production


def fail_closed(rule_id: str, resource: Resource | None, path: str, live: bool = False) -> Violation:
    what = f"{resource.type.rsplit(':', 1)[-1]} {resource.name!r}" if resource else "the stack"
    if live:
        return Violation(resource, (
            f"{what}: Cloudflare's answer does not include {path}, so {rule_id} cannot show that it holds; "
            f"in production the rule fails closed. Check {path} in the dashboard (or GET the gateway)."))
    return Violation(resource, (
        f"{what}: {path} is unknown during preview, so {rule_id} cannot show that it holds; in production "
        f"the rule fails closed. Make {path} known at preview (a literal in the stack config, not another "
        "resource's output), or run the check again once it is known."))


def guarded(rule_id: str, resource: Resource | None, ctx: Context, run: Callable[[], Iterable[Violation]]
            ) -> list[Violation]:
    """Run one rule on one subject. Violations found before an unknown value are kept; the unknown
    itself fails closed in production (a violation naming the property) and is skipped elsewhere."""
    found: list[Violation] = []
    try:
        for violation in run():
            found.append(violation)
    except UnknownValue as exc:
        if ctx.production:
            found.append(fail_closed(rule_id, resource, exc.path, ctx.live))
    return found


def each(rule_id: str, resources: Iterable[Resource], ctx: Context,
         check: Callable[[Resource], Iterable[Violation]]) -> Iterator[Violation]:
    """For stack rules: check each resource on its own, so an unknown value in one resource
    neither hides the others' violations nor loses the name of the resource it is in."""
    for resource in resources:
        yield from guarded(rule_id, resource, ctx, lambda r=resource: check(r))


def known(ctx: Context, value: Callable[[], Any], strict: Any, lenient: Any) -> Any:
    """A stack-wide fact a stack rule builds on (which scripts are edge Workers, which Logpush jobs
    exist). When it depends on an unknown value it is taken the strict way in production (the
    gateways relying on it are then reported) and the lenient way elsewhere (nothing reported)."""
    try:
        return value()
    except UnknownValue:
        return strict if ctx.production else lenient


def applies(rule: Rule, ctx: Context) -> bool:
    return ctx.production or not rule.production_only


def run_resource_rule(rule: Rule, resource: Resource, ctx: Context) -> list[Violation]:
    if not applies(rule, ctx) or resource.type not in rule.types:
        return []
    return guarded(rule.id, resource, ctx, lambda: rule.check(resource, ctx))


def run_stack_rule(rule: Rule, resources: Sequence[Resource], ctx: Context) -> list[Violation]:
    if not applies(rule, ctx):
        return []
    return guarded(rule.id, None, ctx, lambda: rule.check(resources, ctx))


def effective_level(level: str) -> str:
    # As the SDK does: a violation of a policy set to remediate is reported as mandatory.
    return "mandatory" if level == "remediate" else level


def evaluate(rules: Sequence[Rule], resources: Sequence[Resource], base: Context,
             settings: Mapping[str, tuple[str, Mapping[str, Any]]],
             stack_production: Sequence[str] = ()) -> list[Finding]:
    """Every enabled rule over one stack, as the pack would run them (Analyze per resource,
    then AnalyzeStack). ``settings``: rule id -> (level, config properties with defaults)."""
    findings: list[Finding] = []
    for rule in rules:
        level, config = settings[rule.id]
        if level == "disabled":
            continue
        ctx = Context(base.stack, base.environment,
                      is_production(base.environment, config, stack_production),
                      base.account_id, config, base.today, base.live, settings)
        if rule.scope == "resource":
            violations = [v for r in resources for v in run_resource_rule(rule, r, ctx)]
        else:
            violations = run_stack_rule(rule, resources, ctx)
        for v in violations:
            ref = v.resource.ref if v.resource else (STACK_TYPE, base.stack)
            findings.append(Finding(rule.id, effective_level(level), ref, v.message))
    return apply_waivers(findings, settings, base.stack, base.today)


def holding_waivers(settings: Mapping[str, tuple[str, Mapping[str, Any]]], today: dt.date) -> list[Waiver]:
    """The waivers of every rule that hold today (well-formed, not expired, within maxWaiverDays)."""
    max_days = settings.get(WAIVERS_RULE, ("", {}))[1].get("maxWaiverDays", DEFAULT_MAX_WAIVER_DAYS)
    return judge(settings, today, max_days)[0]


def waived(waivers: Sequence[Waiver], rule_id: str, stack: str, name: str) -> Waiver | None:
    """The waiver of a finding of ``rule_id`` on the resource ``name`` (the stack's name for the stack itself)."""
    if rule_id == WAIVERS_RULE:
        return None  # a broken waiver or a relaxed level cannot be waived
    return waiver_for(waivers, rule_id, stack, name)


def apply_waivers(findings: Sequence[Finding], settings: Mapping[str, tuple[str, Mapping[str, Any]]],
                  stack: str, today: dt.date) -> list[Finding]:
    holding = holding_waivers(settings, today)
    if not holding:
        return list(findings)
    out = []
    for f in findings:
        w = waived(holding, f.policy, stack, f.resource[1])
        out.append(dataclasses.replace(f, waiver=w) if w else f)
    return out


def default_settings(rules: Sequence[Rule]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {rule.id: (rule.level, rule.defaults()) for rule in rules}
